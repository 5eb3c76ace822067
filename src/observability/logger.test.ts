import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readableLine, troupeFields } from './logger';

describe('troupeFields', () => {
  it("names a run by its workflow id, keeping Temporal's run id apart", () => {
    expect(troupeFields({ workflowId: 'hello-1234abcd', runId: '01a2-uuid', stepId: 'greet' })).toEqual({
      runId: 'hello-1234abcd',
      temporalRunId: '01a2-uuid',
      stepId: 'greet',
    });
    // An activity's metadata names the run's Temporal id workflowRunId.
    expect(troupeFields({ workflowId: 'w', workflowRunId: 'r', activityType: 'runTool' })).toEqual({
      runId: 'w',
      temporalRunId: 'r',
      activityType: 'runTool',
    });
  });
});

describe('readableLine', () => {
  it('shows a pino line as level, message and the fields that name its run', () => {
    const line = JSON.stringify({
      level: 30,
      time: 1,
      service: 'troupe-worker',
      msg: 'step ask completed',
      runId: 'logged-1',
      stepId: 'ask',
      model: 'qwen2.5-coder:7b',
      attempts: 1,
    });
    expect(readableLine(line)).toBe(
      'INFO  step ask completed runId=logged-1 stepId=ask model=qwen2.5-coder:7b attempts=1',
    );
  });

  it('leaves every line that is not pino JSON as it is', () => {
    fc.assert(
      fc.property(fc.string(), (line) => {
        fc.pre(!line.startsWith('{"level":'));
        expect(readableLine(line)).toBe(line);
      }),
    );
    expect(readableLine('{"level": broken')).toBe('{"level": broken');
    expect(readableLine('{"level":30,"msg":')).toBe('{"level":30,"msg":');
  });
});
