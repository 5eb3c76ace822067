import { Command, Option } from 'commander';
import type { ApiClient } from './api-client';

type ScheduleView = {
  id: string;
  specName?: string;
  paused: boolean;
  cron: string[];
  every: string[];
  nextRuns: string[];
};

/** `troupe schedule create|list|pause|trigger|delete`: Temporal Schedules of saved specs. */
export function scheduleCommand(
  api: () => ApiClient,
  print: (value: unknown) => void,
  parseJson: (text: string, what: string) => Record<string, unknown>,
): Command {
  const schedule = new Command('schedule').description('run saved specs on a timetable');
  const path = (id: string, verb = '') => `/api/schedules/${encodeURIComponent(id)}${verb && `/${verb}`}`;

  schedule
    .command('create <id>')
    .description('schedule a saved spec')
    .requiredOption('--spec <name>', 'the saved spec to run')
    .option('--every <duration>', 'an interval such as 15m or 1h')
    .option('--cron <expression...>', 'cron expressions such as "0 9 * * MON-FRI"')
    .option('--input <json>', 'the run input as a JSON object', '{}')
    .addOption(
      new Option('--overlap <policy>', 'when a run is still going at the next time')
        .choices(['skip', 'buffer-one', 'buffer-all', 'cancel-other', 'terminate-other', 'allow-all'])
        .default('skip'),
    )
    .option('--catchup-window <duration>', 'how late a missed run may still start', '1m')
    .action(
      async (
        id: string,
        options: {
          spec: string;
          every?: string;
          cron?: string[];
          input: string;
          overlap: string;
          catchupWindow: string;
        },
      ) => {
        const body = {
          id,
          specName: options.spec,
          input: parseJson(options.input, '--input'),
          ...(options.every && { every: options.every }),
          ...(options.cron && { cron: options.cron }),
          overlap: options.overlap,
          catchupWindow: options.catchupWindow,
        };
        print((await api().call('POST', '/api/schedules', body)).body);
      },
    );

  schedule
    .command('list')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { body } = await api().call<{ schedules: ScheduleView[] }>('GET', '/api/schedules');
      if (options.json) return print(body);
      for (const entry of body.schedules) {
        const timing = [...entry.every.map((every) => `every ${every}`), ...entry.cron].join(', ');
        print(
          `${entry.id.padEnd(24)} ${(entry.specName ?? '').padEnd(20)} ${entry.paused ? 'paused ' : 'active '} ${timing}  next ${entry.nextRuns[0] ?? '-'}`,
        );
      }
    });

  schedule
    .command('pause <id>')
    .option('--note <text>', 'why')
    .action(async (id: string, options: { note?: string }) =>
      print((await api().call('POST', path(id, 'pause'), options.note ? { note: options.note } : {})).body),
    );
  schedule
    .command('unpause <id>')
    .action(async (id: string) => print((await api().call('POST', path(id, 'unpause'), {})).body));
  schedule
    .command('trigger <id>')
    .description('start a run now')
    .action(async (id: string) => print((await api().call('POST', path(id, 'trigger'))).body));
  schedule.command('delete <id>').action(async (id: string) => {
    await api().call('DELETE', path(id));
    print(`deleted schedule ${id}`);
  });
  return schedule;
}
