import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Troupe's custom search attributes: the dev server registers them at start, workflows keep them current. */
export const TroupeStatus = defineSearchAttributeKey('TroupeStatus', SearchAttributeType.KEYWORD);
export const TroupeAgents = defineSearchAttributeKey('TroupeAgents', SearchAttributeType.KEYWORD_LIST);
export const TroupeCost = defineSearchAttributeKey('TroupeCost', SearchAttributeType.DOUBLE);
export const TroupeGoal = defineSearchAttributeKey('TroupeGoal', SearchAttributeType.TEXT);

export const troupeSearchAttributes = [TroupeStatus, TroupeAgents, TroupeCost, TroupeGoal];
