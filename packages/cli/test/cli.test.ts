import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/index.js';
import { makeImageFolder } from './helpers/images.js';

const bin = resolve(__dirname, '../dist/cli.js');
const root = mkdtempSync(join(tmpdir(), 'netblocks-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs the built `netblocks` bin in a fresh process. */
function netblocks(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  if (!existsSync(bin)) throw new Error(`${bin} is not built: run \`npx tsup\` in packages/cli`);
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Exit code 1 and exactly one line on stderr, without a stack trace. */
function expectOneLineFailure(result: ReturnType<typeof netblocks>): string {
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  return lines[0] as string;
}

const TINY = ['--data', 'mnist', '--train-per-class', '2', '--test-per-class', '1', '--batch-size', '10', '--fit', 'pad'];

describe('the netblocks bin', () => {
  it('starts with a shebang and lists its commands; each command has --help with an example', () => {
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const help = netblocks('--help');
    expect(help.code).toBe(0);
    for (const command of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${command.name} +${command.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(COMMANDS.map((c) => c.name)).toEqual(['list', 'pull', 'summary', 'zoo', 'bench', 'classify', 'train', 'eval', 'reparam', 'import', 'export', 'demo']);
    for (const command of COMMANDS) {
      const own = netblocks(command.name, '--help');
      expect(own.code, command.name).toBe(0);
      expect(own.stdout).toContain(`Usage: netblocks ${command.name}`);
      expect(own.stdout).toMatch(new RegExp(`Examples:\n {2}netblocks ${command.name}( |\n)`));
      expect(own.stdout).toMatch(/ {2}--json +print the result as JSON on stdout \(one line\)/);
    }
    const train = netblocks('train', '--help');
    expect(train.code).toBe(0);
    expect(train.stdout).toContain('Usage: netblocks train <model> --data <mnist|dir>');
    expect(train.stdout).toMatch(/--resume/);
    expect(train.stdout).toMatch(/Examples:\n {2}netblocks train /);
  });

  it('suggests the closest names for an unknown model', () => {
    const line = expectOneLineFailure(netblocks('train', 'mobilenet_v2_035', ...TINY, '--out', 'x'));
    expect(line).toMatch(/^netblocks train: unknown model "mobilenet_v2_035"; did you mean mobilenetv2_035/);
  });

  it('fails the new commands on bad input with one line from a fresh process, and prints JSON that parses', () => {
    expect(expectOneLineFailure(netblocks('summary', 'mobilenet_v2_035'))).toMatch(/^netblocks summary: unknown model "mobilenet_v2_035"; did you mean mobilenetv2_035/);
    expect(expectOneLineFailure(netblocks('bench', 'resnet50', '--runs', 'many'))).toBe('netblocks bench: --runs must be a positive integer (got --runs=many)');
    expect(expectOneLineFailure(netblocks('import', 'resnet50', 'missing.safetensors', 'out'))).toBe('netblocks import: missing.safetensors: no such file');
    expect(expectOneLineFailure(netblocks('export', 'no-model', '--onnx', 'x.onnx'))).toMatch(/^netblocks export: Cannot load model from .*no-model: /);
    expect(expectOneLineFailure(netblocks('reparam', 'in'))).toBe('netblocks reparam: missing <out-dir> (netblocks reparam <in-dir> <out-dir>)');
    expect(expectOneLineFailure(netblocks('zoo', '--filter', 'nothing*'))).toMatch(/^netblocks zoo: no model matches "nothing\*"/);
    const listed = netblocks('list', 'repvgg_a*', '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((r: { name: string }) => r.name)).toEqual(['repvgg_a0', 'repvgg_a1', 'repvgg_a2']);
  });

  it('names the option and the value of a bad option value, an unknown option or command, a missing --data', () => {
    expect(expectOneLineFailure(netblocks('train', 'mobilenetv2_035', '--data', 'mnist', '--epochs', 'two'))).toBe(
      'netblocks train: --epochs must be a positive integer (got --epochs=two)',
    );
    expect(expectOneLineFailure(netblocks('train', 'mobilenetv2_035', '--data', 'mnist', '--epochs', '0'))).toContain('(got --epochs=0)');
    expect(expectOneLineFailure(netblocks('train', 'mobilenetv2_035', '--data', 'mnist', '--schedule', 'step'))).toContain('--schedule must be one of constant, cosine, linear (got --schedule=step)');
    expect(expectOneLineFailure(netblocks('train', 'mobilenetv2_035', '--epoch', '3'))).toMatch(/Unknown option '--epoch'/);
    expect(expectOneLineFailure(netblocks('train', 'mobilenetv2_035'))).toMatch(/missing --data/);
    expect(expectOneLineFailure(netblocks('trian'))).toMatch(/unknown command "trian"; commands: list, pull, summary, zoo, bench, classify, train, eval, reparam, import, export, demo$/);
    expect(expectOneLineFailure(netblocks('train', 'mobilenetv2_035', '--data', join(root, 'no-such-folder')))).toMatch(/--data: .*no-such-folder is not a directory/);
  });

  it('trains, writes eval JSON, resumes to more epochs, and a fresh process evaluates the saved model the same', () => {
    const first = netblocks('train', 'shufflenet_v2_x0_5', ...TINY, '--epochs', '1', '--out', 'run', '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/epoch 1\/1 \[#+\] 20\/20 .* img\/s {2}loss [\d.]+ {2}acc [\d.]+% {2}in \d+s/);
    const summary = JSON.parse(first.stdout);
    expect(summary.testImages).toBe(10);
    const resumed = netblocks('train', 'shufflenet_v2_x0_5', '--data', 'mnist', '--epochs', '2', '--out', 'run', '--resume', '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('resuming shufflenet_v2_x0_5 after epoch 1 of 2');
    const written = JSON.parse(readFileSync(join(root, 'run', 'eval.json'), 'utf8'));
    expect(written.history.map((h: { epoch: number }) => h.epoch)).toEqual([1, 2]);
    const evaluated = netblocks('eval', 'run/model', '--data', 'mnist', '--fit', 'pad', '--test-per-class', '1', '--json');
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout).accuracy).toBe(written.accuracy);
  });

  it('trains on an image folder, reporting each damaged image by path without stopping', () => {
    const { corrupt } = makeImageFolder(join(root, 'images'), 4);
    const run = netblocks('train', 'shufflenet_v2_x0_5', '--data', 'images', '--image-size', '32', '--epochs', '1', '--batch-size', '4', '--out', 'folder-run');
    expect(run.code, run.stderr).toBe(0);
    for (const file of corrupt) expect(run.stderr).toContain(`skipped ${file}: `);
    expect(run.stdout).toMatch(/test accuracy [\d.]+% on 2 held-out images/);
    expect(JSON.parse(readFileSync(join(root, 'folder-run', 'eval.json'), 'utf8')).skipped).toHaveLength(2);
  });

  it('runs the shortened demo', () => {
    const demo = netblocks('demo', '--quick', '--json', '--out', 'demo');
    expect(demo.code, demo.stderr).toBe(0);
    const report = JSON.parse(demo.stdout);
    expect(report).toMatchObject({ quick: true, passed: true, modelDir: join(root, 'demo', 'optimized') });
    expect(report.reloadedAccuracy).toBe(report.optimizedAccuracy);
  });
});
