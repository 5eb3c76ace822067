/**
 * The bandit's prior from the catalogue. A model's catalogue quality (0–100) orders models; it is not
 * a success rate, so it maps into a deliberately narrow band (0.6–0.8) that the records soon
 * outweigh. An agent whose capabilities do not cover what the step needs starts from a low chance.
 */
export function catalogueSuccessPrior(catalogueQuality: number, capabilitiesMatch: boolean): number {
  return capabilitiesMatch ? 0.6 + Math.min(100, Math.max(0, catalogueQuality)) / 500 : 0.3;
}

export function catalogueQualityPrior(catalogueQuality: number): number {
  return 0.6 + Math.min(100, Math.max(0, catalogueQuality)) / 500;
}

/**
 * The prior of an agent that provides every capability a step needs, from the agent catalogue: in the
 * same narrow band (0.6–0.8), higher for a specialist (it provides only what is needed) than for a
 * generalist that also provides other things, so without records the specialist is chosen.
 */
export function agentCapabilityPrior(needs: readonly string[], provides: readonly string[]): number {
  const covered = needs.filter((need) => provides.includes(need)).length;
  if (covered < needs.length || provides.length === 0) return 0.3;
  return 0.6 + (0.2 * new Set(needs).size) / new Set(provides).size;
}
