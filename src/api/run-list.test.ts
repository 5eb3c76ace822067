import { describe, expect, it } from 'vitest';
import { visibilityQuery } from './run-list';

describe('visibilityQuery', () => {
  it('lists only Troupe runs when no filter is given', () => {
    expect(visibilityQuery({})).toBe('WorkflowType = "runWorkflow"');
  });

  it('turns every filter into a search-attribute clause, with times in UTC', () => {
    expect(
      visibilityQuery({
        status: 'waiting',
        agent: 'shell',
        q: 'deploy',
        since: '2026-01-01T01:00:00+01:00',
        until: '2026-01-02T00:00:00Z',
      }),
    ).toBe(
      'WorkflowType = "runWorkflow" AND TroupeStatus = "waiting" AND TroupeAgents = "shell" AND StartTime >= "2026-01-01T00:00:00.000Z" AND StartTime < "2026-01-02T00:00:00.000Z" AND TroupeGoal = "deploy"',
    );
  });

  it('escapes quotes so a search text cannot change the query', () => {
    expect(visibilityQuery({ q: 'a" OR WorkflowType = "x' })).toContain(
      'TroupeGoal = "a\\" OR WorkflowType = \\"x"',
    );
  });
});
