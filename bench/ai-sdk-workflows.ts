// The peer that the engine benchmark's model shapes compare Troupe with: minimal workflows in which
// each model call is a durable activity through @temporalio/ai-sdk (its AiSdkPlugin on the worker,
// bench/ai-sdk-worker.ts), called the way the package documents: the AI SDK's generateText with
// temporalProvider's language model.
import { temporalProvider } from '@temporalio/ai-sdk';
import { generateText } from 'ai';

async function ask(modelId: string, prompt: string): Promise<string> {
  const { text } = await generateText({ model: temporalProvider.languageModel(modelId), prompt });
  return text;
}

/** Asks each prompt in turn, as N model steps in a chain do. */
export async function aiSdkSequential(modelId: string, prompts: string[]): Promise<string[]> {
  const answers: string[] = [];
  for (const prompt of prompts) answers.push(await ask(modelId, prompt));
  return answers;
}

/** Asks every prompt, `lanes` at a time, as N independent model steps under maxParallel do. */
export async function aiSdkParallel(modelId: string, prompts: string[], lanes: number): Promise<string[]> {
  const answers: string[] = [];
  let next = 0;
  const lane = async () => {
    while (next < prompts.length) {
      const index = next++;
      answers[index] = await ask(modelId, prompts[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, prompts.length) }, lane));
  return answers;
}
