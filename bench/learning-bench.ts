/**
 * `npm run bench:learning`: the seeded simulation of learned selection and success prediction.
 * 1,000 tasks from a hidden world (bench/learning-world.ts) with one drift mid-run; the Thompson
 * bandit against the oracle that knows the profiles, the fixed local-first policy and always-best-
 * cloud; the success predictor's Brier score against the base rate's, each prediction made before
 * the outcome it predicts was learned. Pass a seed as the first argument (default 1).
 */
import { ThompsonBandit, armId, type Arm, type BanditOptions } from '../src/learning/bandit';
import { catalogueQualityPrior, catalogueSuccessPrior } from '../src/learning/catalogue-prior';
import { seededRng } from '../src/learning/random';
import {
  SuccessPredictor,
  brierScore,
  reliabilityTable,
  type PredictorOptions,
} from '../src/learning/success-predictor';
import { Agents, Models, TaskTypes, World, type Task } from './learning-world';

const TASKS = 1000;
const DRIFT_AT = 500;
const COST_WEIGHT = 20;

type PolicyName = 'oracle' | 'bandit' | 'local-first' | 'best-cloud';
type Tally = { reward: number; successes: number; cost: number; latencyMs: number };

function armsFor(world: World, task: Task): Arm[] {
  const arms: Arm[] = [];
  // Only agents whose capabilities cover the task are candidates (agent: auto with needs); the
  // code generator and the debugger both declare code, so each is a candidate for the other's tasks.
  const capable = (type: string) =>
    type === task.type || (['code', 'debug'].includes(type) && ['code', 'debug'].includes(task.type));
  for (const type of TaskTypes.filter(capable)) {
    const agent = Agents[type];
    const matched = type === task.type;
    for (const m of Models) {
      arms.push({
        agent,
        model: m.id,
        local: m.local,
        costUsd: world.cost(m.id, task),
        // The catalogue prior: an agent whose capabilities cover the task starts from the model's
        // published quality, any other agent from a low chance.
        priorSuccess: catalogueSuccessPrior(m.catalogueQuality, matched),
        priorQuality: catalogueQualityPrior(m.catalogueQuality),
      });
    }
  }
  return arms;
}

/** Options other than the defaults are for trying variants; the benchmark runs the defaults. */
export function simulate(
  seed: number,
  options: { bandit?: Partial<BanditOptions>; predictor?: Partial<PredictorOptions> } = {},
) {
  const world = new World(seed);
  const outcomeRng = seededRng(seed * 7919 + 13);
  const banditRng = seededRng(seed * 104729 + 7);
  const bandit = new ThompsonBandit({}, { ...options.bandit, costWeight: COST_WEIGHT });
  const predictor = new SuccessPredictor(options.predictor);
  const tallies: Record<PolicyName, Tally> = {
    oracle: { reward: 0, successes: 0, cost: 0, latencyMs: 0 },
    bandit: { reward: 0, successes: 0, cost: 0, latencyMs: 0 },
    'local-first': { reward: 0, successes: 0, cost: 0, latencyMs: 0 },
    'best-cloud': { reward: 0, successes: 0, cost: 0, latencyMs: 0 },
  };
  const perTask: Array<{ oracle: number; bandit: number }> = [];
  const predictions: Array<{ p: number; outcome: boolean }> = [];
  const basePredictions: Array<{ p: number; outcome: boolean }> = [];
  const truePredictions: Array<{ p: number; outcome: boolean }> = [];
  let regretAt100 = 0;
  let oracleAt100 = 0;
  let optimalChoices = 0;

  let i = 0;
  let runs = 0;
  const runOutcomes = { successes: 0, total: 0 };
  const runSuccesses = { bandit: 0, 'best-cloud': 0 };
  while (i < TASKS) {
    // A run is one to three steps; every step is a task, and a run succeeds when all its steps do.
    const length = Math.min(TASKS - i, 1 + Math.floor(world.uniform() * 3));
    const steps = Array.from({ length }, () => {
      if (i === DRIFT_AT) world.drifted = true;
      const task = world.nextTask(i);
      i += 1;
      return { task, context: `${task.type}:${task.large ? 'large' : 'small'}`, u: outcomeRng() };
    });
    runs += 1;
    const planned = steps.map(({ task, context }) => {
      const arms = armsFor(world, task);
      const expected = (agent: string, model: string) => {
        const p = world.profile(agent, model, task);
        return { p, reward: p.success * p.quality - COST_WEIGHT * p.costUsd };
      };
      const best = arms
        .map((a) => ({ a, ...expected(a.agent, a.model) }))
        .sort((x, y) => y.reward - x.reward || armId(x.a).localeCompare(armId(y.a)))[0]!;
      const choice = bandit.choose(context, arms, banditRng);
      const picks: Record<PolicyName, { agent: string; model: string }> = {
        oracle: best.a,
        bandit: choice,
        'local-first': { agent: Agents[task.type], model: 'qwen2.5-coder:7b' },
        'best-cloud': { agent: Agents[task.type], model: 'gpt-4o' },
      };
      return { task, context, picks, expected, best, choice, arms };
    });
    for (const name of Object.keys(tallies) as PolicyName[]) {
      // The predictor starts an arm it has no record of from the same catalogue prior as the bandit.
      const keyed = planned.map((s, n) => {
        const arm = armId(s.picks[name]);
        const prior = s.arms.find((a) => armId(a) === arm)?.priorSuccess;
        return { id: `s${n}`, context: s.context, arm, ...(prior !== undefined && { prior }) };
      });
      const predicted = predictor.predictRun(keyed).success;
      const base = (runOutcomes.successes + 1) / (runOutcomes.total + 2);
      const truth = planned.reduce(
        (q, st) => q * st.expected(st.picks[name].agent, st.picks[name].model).p.success,
        1,
      );
      let all = true;
      planned.forEach((s, n) => {
        const { agent, model } = s.picks[name];
        const { p, reward } = s.expected(agent, model);
        const success = steps[n]!.u < p.success; // common random numbers: every policy has the same luck
        all &&= success;
        const t = tallies[name];
        t.reward += reward;
        t.cost += p.costUsd;
        t.latencyMs += p.latencyMs;
        if (success) t.successes += 1;
        if (name === 'oracle') return;
        predictor.record(keyed[n]!, { success, costUsd: p.costUsd, durationMs: p.latencyMs });
        if (name === 'bandit') {
          bandit.update(s.context, s.choice, { success, quality: p.quality });
          if (armId(s.choice) === armId(s.best.a)) optimalChoices += 1;
          perTask.push({ oracle: s.best.reward, bandit: reward });
        }
      });
      if (name === 'bandit' || name === 'best-cloud') runSuccesses[name] += all ? 1 : 0;
      if (name === 'oracle') continue;
      runOutcomes.total += 1;
      if (all) runOutcomes.successes += 1;
      // Every run Troupe makes is a record, pinned-model runs too; each is predicted before it is learned.
      predictions.push({ p: predicted, outcome: all });
      basePredictions.push({ p: base, outcome: all });
      truePredictions.push({ p: truth, outcome: all });
    }
    if (regretAt100 === 0 && i >= 100) {
      regretAt100 = tallies.oracle.reward - tallies.bandit.reward;
      oracleAt100 = tallies.oracle.reward;
    }
  }

  const WINDOW = 50;
  let recovery = Number.NaN;
  for (let t = DRIFT_AT; t + WINDOW <= TASKS; t++) {
    const w = perTask.slice(t, t + WINDOW);
    const o = w.reduce((s, x) => s + x.oracle, 0);
    const b = w.reduce((s, x) => s + x.bandit, 0);
    if (b >= 0.9 * o) {
      recovery = t - DRIFT_AT;
      break;
    }
  }
  return {
    seed,
    tallies,
    regretAt100: regretAt100 / oracleAt100,
    regret: (tallies.oracle.reward - tallies.bandit.reward) / tallies.oracle.reward,
    optimalShare: optimalChoices / TASKS,
    recovery,
    brier: brierScore(predictions),
    baseBrier: brierScore(basePredictions),
    trueBrier: brierScore(truePredictions),
    reliability: reliabilityTable(predictions, 5),
    runs,
    runSuccesses,
  };
}

const pct = (x: number, d = 1) => `${(x * 100).toFixed(d)}%`;

function main() {
  const seed = Number(process.argv[2] ?? 1);
  if (!Number.isInteger(seed)) throw new Error(`the seed must be an integer, got ${process.argv[2]}`);
  const r = simulate(seed);
  const rows = (Object.keys(r.tallies) as PolicyName[]).map((name) => {
    const t = r.tallies[name];
    return [
      name,
      t.reward.toFixed(1),
      pct(t.successes / TASKS),
      `$${t.cost.toFixed(3)}`,
      `${(t.latencyMs / TASKS / 1000).toFixed(1)} s`,
    ];
  });
  console.log(
    `Troupe learning benchmark: ${TASKS} tasks, seed ${seed}, drift at task ${DRIFT_AT}, reward = success × quality − ${COST_WEIGHT} × USD`,
  );
  console.log('');
  console.log(['policy', 'reward', 'success', 'cost', 'mean latency'].join('\t'));
  for (const row of rows) console.log(row.join('\t'));
  console.log('');
  const cloud = r.tallies['best-cloud'];
  const ours = r.tallies.bandit;
  const costCut = 1 - ours.cost / cloud.cost;
  const ratio = r.brier / r.baseBrier;
  const checks = [
    ['regret after 100 tasks', pct(r.regretAt100), ''],
    ['regret after 1,000 tasks', pct(r.regret), r.regret <= 0.1 ? 'yes (<= 10%)' : 'NO (> 10%)'],
    ['share of optimal choices', pct(r.optimalShare), ''],
    ['cost vs always-best-cloud', `-${pct(costCut)}`, costCut >= 0.9 ? 'yes (>= 90% lower)' : 'NO'],
    [
      'success vs always-best-cloud',
      `${pct(ours.successes / TASKS)} vs ${pct(cloud.successes / TASKS)}`,
      ours.successes >= cloud.successes ? 'yes (equal or better)' : 'NO',
    ],
    [
      'Brier vs base rate',
      `${r.brier.toFixed(4)} vs ${r.baseBrier.toFixed(4)}`,
      ratio <= 0.8 ? 'yes (<= 0.8x)' : 'NO',
    ],
    [
      'Brier of the hidden true chances',
      `${r.trueBrier.toFixed(4)} (ratio ${(r.trueBrier / r.baseBrier).toFixed(2)}, the floor)`,
      '',
    ],
    [
      'recovery after drift',
      Number.isNaN(r.recovery) ? 'never' : `${r.recovery} tasks`,
      'within 10% of oracle over 50 tasks',
    ],
  ];
  for (const c of checks) console.log(c.join('\t'));
  console.log('');
  console.log('reliability (predicted bin, count, mean predicted, observed)');
  for (const row of r.reliability) {
    console.log(
      `${row.from.toFixed(1)}-${row.to.toFixed(1)}\t${row.count}\t${row.meanPredicted.toFixed(3)}\t${row.observedRate.toFixed(3)}`,
    );
  }
  console.log('');
  console.log(
    `learning regret: ${pct(r.regret)} of oracle, cost -${pct(costCut)} vs cloud at success ${pct(ours.successes / TASKS)} vs ${pct(cloud.successes / TASKS)}, brier ratio: ${ratio.toFixed(2)}`,
  );
}

if (process.argv[1]?.endsWith('learning-bench.ts')) main();
