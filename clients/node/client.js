#!/usr/bin/env node
// An independent client of the eligibility contract (no generated code): loads proto/ at run time
// with @grpc/proto-loader and talks mTLS with @grpc/grpc-js using a role's credential bundle
// (ca.pem, client.pem, client.key, as written by `eligibility credentials export ROLE`).
//
//   node client.js submit --server HOST:PORT --creds DIR --flags flags.json
//   node client.js screen --server HOST:PORT --creds DIR --id-number ID --name NAME --as-of YYYY-MM-DD
//                         [--position vc_member] [--party-member no]
// Prints one JSON object on stdout; exits 1 on a gRPC error (code and message on stderr).
'use strict';
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_ROOT = path.resolve(__dirname, '..', '..', 'proto');

function args(argv) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) out[argv[i].slice(2)] = argv[++i];
    else out._.push(argv[i]);
  }
  return out;
}

function load() {
  const def = protoLoader.loadSync('eligibility/v1/eligibility.proto', {
    includeDirs: [PROTO_ROOT], keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true,
  });
  return grpc.loadPackageDefinition(def).eligibility.v1;
}

function credentials(dir) {
  const read = (f) => fs.readFileSync(path.join(dir, f));
  return grpc.credentials.createSsl(read('ca.pem'), read('client.key'), read('client.pem'));
}

function call(client, method, request) {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: Date.now() + 30000 }, (err, resp) => (err ? reject(err) : resolve(resp)));
  });
}

async function main() {
  const a = args(process.argv.slice(2));
  const cmd = a._[0];
  if (!cmd || !a.server || !a.creds) {
    process.stderr.write('usage: client.js submit|screen --server HOST:PORT --creds DIR ...\n');
    process.exit(2);
  }
  const v1 = load();
  const creds = credentials(a.creds);
  if (cmd === 'submit') {
    const flags = JSON.parse(fs.readFileSync(a.flags, 'utf8')).map((f, i) => ({ row: i + 2, ...f }));
    const client = new v1.FlagService(a.server, creds);
    const resp = await call(client, 'SubmitFlags', { flags });
    process.stdout.write(JSON.stringify(resp) + '\n');
  } else if (cmd === 'screen') {
    const client = new v1.RoundService(a.server, creds);
    const resp = await call(client, 'ScreenCandidate', {
      as_of: a['as-of'],
      candidate: {
        row: 1, id_number: a['id-number'], name: a.name,
        position: a.position || 'vc_member', party_member: a['party-member'] || 'no',
      },
    });
    const d = resp.decision;
    const verdicts = Object.fromEntries(d.verdicts.map((v) => [v.agency, v.verdict.replace('VERDICT_', '')]));
    process.stdout.write(JSON.stringify({
      decision_id: d.decision_id, name: d.candidate.name, overall: d.overall.replace('OVERALL_', ''),
      verdicts, trace: d.trace.map((t) => ({ agency: t.agency, rule_id: t.rule_id, window: t.window })),
    }) + '\n');
  } else {
    process.stderr.write(`unknown command ${cmd}\n`);
    process.exit(2);
  }
}

main().catch((err) => {
  process.stderr.write(`${grpc.status[err.code] || err.code}: ${err.details || err.message}\n`);
  process.exit(1);
});
