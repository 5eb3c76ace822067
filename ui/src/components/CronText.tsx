import cronstrue from 'cronstrue';

/** A cron expression in words ("At 09:00, Monday through Friday"), or why it does not read as cron. */
export function describeCron(expression: string): { ok: true; text: string } | { ok: false; error: string } {
  try {
    return { ok: true, text: cronstrue.toString(expression, { use24HourTimeFormat: true, verbose: false }) };
  } catch (err) {
    return { ok: false, error: String(err instanceof Error ? err.message : err) };
  }
}

export function CronText({ expression }: { expression: string }) {
  const words = describeCron(expression);
  return (
    <span title={expression}>
      <code>{expression}</code> {words.ok && <span className="muted">({words.text})</span>}
    </span>
  );
}
