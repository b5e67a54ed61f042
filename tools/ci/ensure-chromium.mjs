#!/usr/bin/env node
// The first step of `pnpm check`: the playground's browser test drives Debian's chromium at
// /usr/bin/chromium. When it is missing, install it with apt-get (Debian, as root); otherwise say in
// one line what to install, so that the README's check command works as typed on a fresh machine.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    console.error(`check: the playground's browser test needs Debian's chromium at ${CHROMIUM}: run \`apt-get install chromium\` as root first`);
    process.exit(1);
  }
  console.error(`check: installing Debian's chromium for the playground's browser test (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
}
