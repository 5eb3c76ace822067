import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Troupe's custom search attributes: the dev server registers them at start, workflows keep them current. */
export const TroupeStatus = defineSearchAttributeKey('TroupeStatus', SearchAttributeType.KEYWORD);
export const TroupeAgents = defineSearchAttributeKey('TroupeAgents', SearchAttributeType.KEYWORD_LIST);
export const TroupeCost = defineSearchAttributeKey('TroupeCost', SearchAttributeType.DOUBLE);
export const TroupeGoal = defineSearchAttributeKey('TroupeGoal', SearchAttributeType.TEXT);

/** Chat sessions: their title and when they last changed (their cost is TroupeCost). */
export const TroupeTitle = defineSearchAttributeKey('TroupeTitle', SearchAttributeType.TEXT);
export const TroupeLastActivity = defineSearchAttributeKey(
  'TroupeLastActivity',
  SearchAttributeType.DATETIME,
);

export const troupeSearchAttributes = [
  TroupeStatus,
  TroupeAgents,
  TroupeCost,
  TroupeGoal,
  TroupeTitle,
  TroupeLastActivity,
];
