/**
 * Issue #10: a flag that is parsed into Config and never read does nothing, silently. This
 * test lists every property of Config (and of the settings objects it holds) with the
 * TypeScript compiler, and fails for any property that no file outside src/config/ reads.
 * A flag that changes nothing belongs in the table's 'ignored' group instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ROOT } from '../helpers/wrapper.js';

const CONFIG_FILE = path.join(ROOT, 'src/config/config.ts');

/** Property names of the interfaces and type aliases declared in config.ts reachable from Config. */
function configProperties(): Array<{ owner: string; name: string }> {
  const program = ts.createProgram([CONFIG_FILE], { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(CONFIG_FILE)!;
  // Every field a mode's Config has is declared on ConfigDraft (what the flags write into).
  const root = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'ConfigDraft')!;
  const out: Array<{ owner: string; name: string }> = [];
  const visited = new Set<ts.Type>();
  const visit = (type: ts.Type, owner: string) => {
    if (visited.has(type)) return;
    visited.add(type);
    const parts = type.isUnion() ? type.types : [type];
    for (const part of parts) {
      const element = checker.isArrayType(part) ? checker.getTypeArguments(part as ts.TypeReference)[0]! : part;
      const declaredHere = element.getSymbol()?.declarations?.some((d) => d.getSourceFile() === source) ?? false;
      if (!declaredHere && element !== checker.getTypeAtLocation(root)) continue;
      for (const prop of element.getProperties()) {
        out.push({ owner, name: prop.name });
        visit(checker.getTypeOfSymbol(prop), `${owner}.${prop.name}`);
      }
    }
  };
  visit(checker.getTypeAtLocation(root), 'Config');
  return out;
}

function sourcesOutsideConfig(dir = path.join(ROOT, 'src')): string {
  let text = '';
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (p !== path.join(ROOT, 'src/config')) text += sourcesOutsideConfig(p);
    } else if (e.name.endsWith('.ts')) text += readFileSync(p, 'utf8') + '\n';
  }
  return text;
}

test('every Config field is read somewhere outside src/config/', () => {
  const props = configProperties();
  assert.ok(props.length > 30, `found only ${props.length} Config properties: is the walk broken?`);
  const code = sourcesOutsideConfig();
  // A read is `.name` (config.statsIntervalMs, o.limit) or destructuring `{ name }` / `{ name: x }`.
  const unread = props.filter(({ name }) => !new RegExp(`(\\.|[{,]\\s*)${name}\\b`).test(code));
  assert.deepEqual(
    unread.map((p) => `${p.owner}.${p.name}`),
    [],
    'these Config fields are set and never read: wire them, or move their flag to the ignored group',
  );
});
