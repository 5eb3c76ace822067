import { createModelActivities } from '../src/activities/model-activities';
import { startFakeModelServer, type FakeModelServer } from '../src/fake-models/server';
import { MemoryCostLedger } from '../src/models/cost-ledger';
import { estimateInputTokens } from '../src/models/model-caller';
import { createModelRuntime } from '../src/models/model-runtime';
import { CapabilityName, RoutingPolicyName } from '../src/models/model-step-input';
import { planRoute } from '../src/models/router-policy';
import { hundredModels, ms, pct, seeded, summary, table } from './bench-support';
import { failoverLatency } from './failover-latency';
import { assumptions, simulate } from './router-simulation';

/** Part 1: how long one routing decision takes with 100 models in the catalogue. */
async function routingDecision(fake: FakeModelServer) {
  const catalogue = hundredModels({ ollama: fake.url, openai: fake.openaiUrl });
  fake.setScript({ models: Object.fromEntries(catalogue.models.map((model) => [model.name, {}])) });
  const runtime = createModelRuntime({ catalogue, env: {}, ledger: new MemoryCostLedger() });
  const { planModelRoute } = createModelActivities({ runtime });
  const random = seeded(7);
  const requests = Array.from({ length: 20_000 }, (_, index) => ({
    stepId: `s${index}`,
    prompt: 'p'.repeat(100 + Math.floor(random() * 8_000)),
    policy: RoutingPolicyName.options[index % 4],
    requires: {
      capabilities: CapabilityName.options.filter(() => random() < 0.25),
      ...(random() < 0.3 && { contextTokens: 16_000 }),
    },
  }));
  const reports = await runtime.health.check();
  const snapshot = {
    providers: Object.fromEntries(reports.map((report) => [report.provider, report])),
    breakers: runtime.breakers.snapshot(catalogue.models.map((model) => model.id)),
  };
  const pure: number[] = [];
  const activity: number[] = [];
  let chainLength = 0;
  for (const [index, request] of requests.entries()) {
    let started = performance.now();
    const plan = planRoute(catalogue, snapshot, {
      policy: request.policy,
      capabilities: request.requires.capabilities,
      contextTokens: request.requires.contextTokens,
      inputTokens: estimateInputTokens(request),
    });
    const elapsed = performance.now() - started;
    chainLength += plan.chain.length;
    started = performance.now();
    await planModelRoute(request).catch(() => undefined);
    if (index >= 2_000) {
      pure.push(elapsed);
      activity.push(performance.now() - started);
    }
  }
  return { pure: summary(pure), activity: summary(activity), meanChain: chainLength / requests.length };
}

async function main() {
  const fake = await startFakeModelServer({ script: { models: {} } });
  try {
    const routing = await routingDecision(fake);
    const { cloud, troupe } = await simulate(fake);
    const failover = await failoverLatency(fake);

    const reduction = 1 - troupe.costUsd / cloud.costUsd;
    const cloudSuccess = cloud.succeeded / assumptions.tasks;
    const troupeSuccess = troupe.succeeded / assumptions.tasks;
    const rows = [
      ['measure', 'result', 'target', 'met'],
      [
        `1. routing decision p99, planRoute (100 models, n=${routing.pure.n})`,
        `${ms(routing.pure.p99)} (p50 ${ms(routing.pure.p50)})`,
        '< 1 ms',
        routing.pure.p99 < 1 ? 'yes' : 'NO',
      ],
      [
        '   routing decision p99, planModelRoute activity body (cached health)',
        `${ms(routing.activity.p99)} (p50 ${ms(routing.activity.p50)})`,
        '< 1 ms',
        routing.activity.p99 < 1 ? 'yes' : 'NO',
      ],
      ['   mean candidates per chain', routing.meanChain.toFixed(1), '', ''],
      [
        `2. always-cloud (${assumptions.cloud.id}): cost, success`,
        `$${cloud.costUsd.toFixed(4)}, ${pct(cloudSuccess)} (${cloud.cloudCalls} cloud calls)`,
        '',
        '',
      ],
      [
        `   troupe local-first + escalation: cost, success`,
        `$${troupe.costUsd.toFixed(4)}, ${pct(troupeSuccess)} (${troupe.localCalls} local, ${troupe.cloudCalls} cloud calls, ${troupe.computeSeconds.toFixed(1)} local compute s)`,
        '',
        '',
      ],
      [
        '   cost reduction at equal or better success',
        pct(reduction),
        '>= 90%',
        reduction >= 0.9 && troupeSuccess >= cloudSuccess ? 'yes' : 'NO',
      ],
      ...(['easy', 'medium', 'hard'] as const).map((difficulty) => [
        `   success on ${difficulty} tasks (cloud vs troupe)`,
        `${cloud.byDifficulty[difficulty].succeeded}/${cloud.byDifficulty[difficulty].tasks} vs ${troupe.byDifficulty[difficulty].succeeded}/${troupe.byDifficulty[difficulty].tasks}`,
        '',
        '',
      ]),
      [
        `3. failover after HTTP 500: added beyond the failed attempt, p99 (n=${failover.afterError.added.n})`,
        `${ms(failover.afterError.added.p99)} (p50 ${ms(failover.afterError.added.p50)}; failed attempt p50 ${ms(failover.afterError.failed.p50)}; backup alone p50 ${ms(failover.afterError.direct.p50)})`,
        '< 50 ms',
        failover.afterError.added.p99 < 50 ? 'yes' : 'NO',
      ],
      [
        '   failover past an open breaker: added, p99',
        `${ms(failover.pastOpenBreaker.added.p99)} (failed attempt p50 ${ms(failover.pastOpenBreaker.failed.p50)}, no request sent)`,
        '< 50 ms',
        failover.pastOpenBreaker.added.p99 < 50 ? 'yes' : 'NO',
      ],
    ];
    const { mix, success } = assumptions;
    console.log(
      'Troupe router benchmark (simulated models on the fake server, real HTTP, real openai/ollama clients)',
    );
    console.log(
      `Simulation: ${assumptions.tasks} tasks, mix easy/medium/hard ${mix.easy}/${mix.medium}/${mix.hard}; ` +
        `valid-answer rates local ${Object.values(success.local).join('/')}, cloud ${Object.values(success.cloud).join('/')}; ` +
        `cloud $${assumptions.cloud.inputPerMillion}/$${assumptions.cloud.outputPerMillion} per M tokens at ${assumptions.cloud.tokensPerSecond} tok/s, ` +
        `local free at ${assumptions.local.tokensPerSecond} tok/s; answers must match a JSON schema, a local miss escalates to the cloud.`,
    );
    console.log('');
    console.log(table(rows));
    console.log('');
    console.log(
      `router cost reduction: ${Math.floor(reduction * 100)}% at success ${pct(troupeSuccess)} vs ${pct(cloudSuccess)}`,
    );
  } finally {
    await fake.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
