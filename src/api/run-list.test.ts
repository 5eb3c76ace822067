import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ListRunsQuery, visibilityQuery } from './run-list';

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
      'WorkflowType = "runWorkflow" AND ExecutionStatus = "Running" AND TroupeStatus = "waiting" AND TroupeAgents = "shell" AND StartTime >= "2026-01-01T00:00:00.000Z" AND StartTime < "2026-01-02T00:00:00.000Z" AND TroupeGoal = "deploy"',
    );
  });

  it("asks Temporal's close status for a closed run's status, which runs under layout 2 leave TroupeStatus short of", () => {
    expect(visibilityQuery({ status: 'completed' })).toBe(
      'WorkflowType = "runWorkflow" AND ExecutionStatus = "Completed"',
    );
    expect(visibilityQuery({ status: 'cancelled' })).toBe(
      'WorkflowType = "runWorkflow" AND ExecutionStatus IN ("Canceled", "Terminated")',
    );
  });

  it('escapes quotes so a search text cannot change the query', () => {
    expect(visibilityQuery({ q: 'a" OR WorkflowType = "x' })).toContain(
      'TroupeGoal = "a\\" OR WorkflowType = \\"x"',
    );
  });
});

describe('ListRunsQuery cursors', () => {
  const cursorOf = (token: unknown) => Buffer.from(JSON.stringify(token)).toString('base64url');

  it('takes a cursor that decodes to a JSON object, as Temporal page tokens do', () => {
    const token = { LastStartTime: '2026-12-01T00:00:00Z', LastRunID: 'abc' };
    expect(ListRunsQuery.parse({ cursor: cursorOf(token) }).cursor).toBe(cursorOf(token));
  });

  it('refuses any other base64url text at query.cursor, before Temporal sees it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        let decoded: unknown;
        try {
          decoded = JSON.parse(text);
        } catch {
          decoded = undefined;
        }
        fc.pre(text !== '' && (typeof decoded !== 'object' || decoded === null));
        const result = ListRunsQuery.safeParse({ cursor: Buffer.from(text).toString('base64url') });
        expect(result.success).toBe(false);
        expect(result.error?.issues[0]?.path).toEqual(['cursor']);
      }),
      { seed: 20261201, numRuns: 500 },
    );
  });
});
