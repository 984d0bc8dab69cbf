import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parse } from 'yaml';
import { customizationsDir, customized, renderArgocdCm, snippetPath } from '../../hack/argocd-cm.ts';
import { TOOL_BUILD_TIMEOUT_MS, toolBin } from './tool-bins.ts';

const treeRoot = path.dirname(customizationsDir);

/** The gopher-lua runner over a resource_customizations tree: its exit code and its output. */
async function luaTest(root: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(toolBin('lua-test'), [root], { encoding: 'utf8' });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

/** A copy of the tree changed by `edit`, for showing that the runner fails when it should. */
async function luaTestOfEditedCopy(edit: (dir: string) => void): Promise<{ code: number; out: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'omkeys-argocd-'));
  try {
    cpSync(treeRoot, dir, { recursive: true });
    edit(path.join(dir, 'omkeys.io'));
    return await luaTest(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function edit(file: string, from: string | RegExp, to: string): void {
  const text = readFileSync(file, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`${file}: nothing to replace`);
  writeFileSync(file, next);
}

describe('argocd: health checks and the rotate action in gopher-lua, as Argo CD runs them', () => {
  before(function () {
    this.timeout(TOOL_BUILD_TIMEOUT_MS);
    toolBin('lua-test');
  });

  it("is laid out as Argo CD's resource_customizations/<group>/<Kind>/, every testdata file used", () => {
    for (const { kind, actions } of customized) {
      const dir = path.join(customizationsDir, kind);
      for (const f of ['health.lua', 'health_test.yaml']) expect(existsSync(path.join(dir, f)), `${kind}/${f}`).to.equal(true);
      const tests = parse(readFileSync(path.join(dir, 'health_test.yaml'), 'utf8')) as { tests: Array<{ inputPath: string }> };
      const used = new Set(tests.tests.map((t) => t.inputPath));
      expect([...used].sort(), kind).to.deep.equal(readdirSync(path.join(dir, 'testdata')).map((f) => `testdata/${f}`).sort());
      if (actions.length === 0) continue;
      const at = parse(readFileSync(path.join(dir, 'actions', 'action_test.yaml'), 'utf8')) as {
        discoveryTests: Array<{ inputPath: string }>;
        actionTests: Array<{ action: string; inputPath: string; expectedOutputPath: string }>;
      };
      for (const a of actions) expect(existsSync(path.join(dir, 'actions', a, 'action.lua')), a).to.equal(true);
      expect(new Set(at.actionTests.map((t) => t.action))).to.deep.equal(new Set(actions));
      const files = new Set([...at.discoveryTests.map((t) => t.inputPath), ...at.actionTests.flatMap((t) => [t.inputPath, t.expectedOutputPath])]);
      expect([...files].sort()).to.deep.equal(readdirSync(path.join(dir, 'actions', 'testdata')).map((f) => `testdata/${f}`).sort());
    }
  });

  it('passes every case of health_test.yaml and action_test.yaml, with the standard libraries off and on', async function () {
    this.timeout(60_000);
    const r = await luaTest(treeRoot);
    expect(r.code, r.out).to.equal(0);
    const m = /^(\d+) passed, (\d+) failed$/m.exec(r.out);
    expect(m, r.out).to.not.equal(null);
    const cases = customized.reduce((n, { kind }) => n + readdirSync(path.join(customizationsDir, kind, 'testdata')).length, 0);
    expect(Number(m![1])).to.be.at.least(2 * (cases + 5));
    expect(r.out).to.include('omkeys.io/OpsManagerApiKey/actions rotate testdata/healthy.yaml (libs off)');
  });

  it('fails when a script needs a library Argo CD leaves off (a global os, string functions)', async function () {
    this.timeout(60_000);
    const noRequire = await luaTestOfEditedCopy((d) => edit(path.join(d, 'OpsManagerApiKey', 'actions', 'rotate', 'action.lua'), 'local os = require("os")\n', ''));
    expect(noRequire.code).to.equal(1);
    expect(noRequire.out).to.match(/--- FAIL: omkeys\.io\/OpsManagerApiKey\/actions rotate testdata\/healthy\.yaml \(libs off\)/);
    expect(noRequire.out).not.to.match(/FAIL: .*rotate.*\(libs on\)/);
    const strings = await luaTestOfEditedCopy((d) => edit(path.join(d, 'ProjectKeyBinding', 'health.lua'), 'local hs = {}', 'local hs = {}\nlocal _ = string.lower("X")'));
    expect(strings.code).to.equal(1);
    expect(strings.out).to.match(/FAIL: omkeys\.io\/ProjectKeyBinding health .*\(libs off\)/);
  });

  it('fails on a wrong expected health, a changed action output, or a stale timestamp', async function () {
    this.timeout(60_000);
    const health = await luaTestOfEditedCopy((d) => edit(path.join(d, 'OpsManagerApiKey', 'health_test.yaml'), /status: Degraded\n(\s+)message: Ops Manager rejected/, 'status: Progressing\n$1message: Ops Manager rejected'));
    expect(health.out).to.match(/--- FAIL: omkeys\.io\/OpsManagerApiKey health testdata\/unauthorized\.yaml \(libs off\)\n\s+want Progressing/);
    // A connection's refused credential is Degraded, not something to wait for.
    const connection = await luaTestOfEditedCopy((d) => edit(path.join(d, 'ClusterOpsManagerConnection', 'health.lua'), 'local waiting = { Progressing = true }', 'local waiting = { Progressing = true, Unauthorized = true }'));
    expect(connection.code).to.equal(1);
    expect(connection.out).to.match(/--- FAIL: omkeys\.io\/ClusterOpsManagerConnection health testdata\/unauthorized\.yaml \(libs off\)/);
    const action = await luaTestOfEditedCopy((d) => edit(path.join(d, 'OpsManagerApiKey', 'actions', 'rotate', 'action.lua'), 'return obj', 'obj.spec.roles = {}\nreturn obj'));
    expect(action.code).to.equal(1);
    expect(action.out).to.match(/FAIL: omkeys\.io\/OpsManagerApiKey\/actions rotate/);
    const stale = await luaTestOfEditedCopy((d) => edit(path.join(d, 'OpsManagerApiKey', 'actions', 'rotate', 'action.lua'), 'os.date("!%Y-%m-%dT%H:%M:%SZ")', '"2020-01-01T00:00:00Z"'));
    expect(stale.out).to.match(/annotation omkeys\.io\/rotate = "2020-01-01T00:00:00Z" is not the time the action ran/);
  });

  it("ships in the chart as an argocd-cm snippet whose scripts are the files under argocd/", () => {
    const text = readFileSync(snippetPath, 'utf8');
    expect(text, 'regenerate: npx tsx hack/argocd-cm.ts --write').to.equal(renderArgocdCm());
    const cm = parse(text) as { kind: string; metadata: { name: string }; data: Record<string, string> };
    expect(cm).to.deep.include({ kind: 'ConfigMap', metadata: { name: 'argocd-cm' } });
    const file = (...p: string[]): string => readFileSync(path.join(customizationsDir, ...p), 'utf8');
    const expected: Record<string, string> = {};
    for (const { kind, actions } of customized) {
      expected[`resource.customizations.health.omkeys.io_${kind}`] = file(kind, 'health.lua');
      if (actions.length === 0) continue;
      const a = parse(cm.data[`resource.customizations.actions.omkeys.io_${kind}`] ?? '') as { 'discovery.lua': string; definitions: Array<{ name: string; 'action.lua': string }> };
      expect(a['discovery.lua']).to.equal(file(kind, 'actions', 'discovery.lua'));
      expect(a.definitions).to.deep.equal(actions.map((name) => ({ name, 'action.lua': file(kind, 'actions', name, 'action.lua') })));
      expected[`resource.customizations.actions.omkeys.io_${kind}`] = cm.data[`resource.customizations.actions.omkeys.io_${kind}`]!;
    }
    expect(cm.data).to.deep.equal(expected);
  });
});
