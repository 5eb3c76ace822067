import { useSearchParams } from 'react-router';
import { runStatuses } from './run-filters';

/** Status, agent, words of the goal and a time range: the filters GET /api/runs takes. */
export function RunFilters() {
  const [search, setSearch] = useSearchParams();
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(name, value);
    else next.delete(name);
    setSearch(next, { replace: true });
  };
  return (
    <form
      className="filters"
      role="search"
      aria-label="Filter runs"
      onSubmit={(event) => event.preventDefault()}
    >
      <label>
        Status
        <select value={search.get('status') ?? ''} onChange={(event) => set('status', event.target.value)}>
          <option value="">any</option>
          {runStatuses.map((status) => (
            <option key={status} value={status}>
              {status}
            </option>
          ))}
        </select>
      </label>
      <label>
        Agent or tool
        <input
          type="text"
          placeholder="e.g. shell, coder"
          defaultValue={search.get('agent') ?? ''}
          onBlur={(event) => set('agent', event.target.value.trim())}
          onKeyDown={(event) => event.key === 'Enter' && set('agent', event.currentTarget.value.trim())}
        />
      </label>
      <label>
        Goal contains
        <input
          type="search"
          placeholder="words of the goal"
          defaultValue={search.get('q') ?? ''}
          onBlur={(event) => set('q', event.target.value.trim())}
          onKeyDown={(event) => event.key === 'Enter' && set('q', event.currentTarget.value.trim())}
        />
      </label>
      <label>
        Started after
        <input
          type="datetime-local"
          value={search.get('since') ?? ''}
          onChange={(event) => set('since', event.target.value)}
        />
      </label>
      <label>
        Started before
        <input
          type="datetime-local"
          value={search.get('until') ?? ''}
          onChange={(event) => set('until', event.target.value)}
        />
      </label>
    </form>
  );
}
