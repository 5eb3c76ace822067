import { z } from 'zod';
import { Spec } from './spec';

/** The spec language as JSON Schema text, for editors: `# yaml-language-server: $schema=...` in a spec file. */
export function specJsonSchema(): string {
  const schema = z.toJSONSchema(Spec, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'Troupe workflow spec' }, null, 2)}\n`;
}
