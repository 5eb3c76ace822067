import type { Page } from 'playwright-core';
import { waitUntil } from '../helpers/harness';

/** Opens the chat page, starts a new chat from its button, and waits until it is live. */
export async function newChat(page: Page, base: string): Promise<string> {
  await page.goto(`${base}/chat`);
  await page.getByRole('button', { name: '+ New chat' }).click();
  await page.waitForURL(/\/chat\/chat-[0-9a-f]+$/);
  const sessionId = new URL(page.url()).pathname.split('/').pop() ?? '';
  await page
    .locator(`[data-testid="chat-session"][data-session-id="${sessionId}"][data-live="live"]`)
    .waitFor();
  await page.getByText('Type / for commands').waitFor();
  return sessionId;
}

/** Types a message in the composer and sends it with Enter. */
export async function say(page: Page, text: string): Promise<void> {
  const box = page.getByRole('combobox', { name: 'Your message' });
  await box.fill(text);
  await box.press('Enter');
}

/** The answers of the newest turn, as the conversation shows them. */
export const lastTurn = (page: Page) => page.locator('[data-turn]').last();

/** Waits until `read` holds for the page, polling it. */
export async function until(what: string, read: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  await waitUntil(read, { what, timeoutMs, everyMs: 100 });
}
