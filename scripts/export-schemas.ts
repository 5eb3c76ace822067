// `npm run schemas`: writes the spec language's JSON Schema for editors (YAML language servers,
// IDEs). Generated from the zod schema, the single source of truth; a test keeps the file current.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { specJsonSchema } from '../src/engine/spec-json-schema';

const target = fileURLToPath(new URL('../schemas/spec.schema.json', import.meta.url));

async function main() {
  await writeFile(target, specJsonSchema());
  console.log(`wrote ${target}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
