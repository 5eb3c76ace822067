import { useEffect, useState } from 'react';
import { onReachability } from '../api/client';
import { useLiveState } from '../api/socket';

/**
 * Says so when the API cannot be reached (a request failed to connect, or the live socket dropped),
 * and goes away by itself once either answers again.
 */
export function ApiBanner() {
  const live = useLiveState();
  const [fetchOk, setFetchOk] = useState(true);
  useEffect(() => onReachability(setFetchOk), []);
  useEffect(() => {
    if (live === 'live') setFetchOk(true);
  }, [live]);
  if (live !== 'offline' && fetchOk) return null;
  return (
    <div className="banner" role="alert" data-testid="api-unreachable">
      <strong>The Troupe API cannot be reached.</strong> Retrying; this page catches up by itself when it is
      back. Is <code>npm start</code> running?
    </div>
  );
}
