// The checks of tests/ha/ha-test.sh, over what the run left in DIR:
//   load.jsonl     the load's answers (load.js)
//   idem.jsonl     the keyed answers (idem.js)
//   crs.json       every SparkApplication of the stand-in, all clusters
//   rows-N.txt     submission IDs in application_submission on node N
//   auto.json      the schedule and the jobs with retries (auto.js)
//   fires.txt      the schedule's fires: fire_time submission_id state
//   attempts.txt   the jobs' attempts: job_id attempt submission_id
// Every 2xx has exactly one CR (named by its submission ID) and one row on
// every node; an error answered by the gateway leaves no CR; an answer
// that never came (connection cut, 502/504, or the web server's own error
// document for a gateway that died under the request: outcome unknown)
// leaves at most one.  A key sent to both instances gives both the same answer and
// makes one CR.  Each fire of the schedule made at most one CR, named by
// the ID its fire row records, and a done fire exactly one; each job with
// retries has exactly its two attempts' CRs, those its attempt rows name.
//
//   node check.js DIR NODE...
'use strict';
const fs = require('fs');

const [dir, ...nodes] = process.argv.slice(2);
const lines = (f) => fs.readFileSync(dir + '/' + f, 'utf8').split('\n')
    .filter((l) => l.trim() !== '');
const load = lines('load.jsonl').map((l) => JSON.parse(l));
const idemAll = lines('idem.jsonl').map((l) => JSON.parse(l));
const idem = idemAll.filter((r) => r.ryw === undefined);
const ryw = idemAll.filter((r) => r.ryw !== undefined);
const crs = JSON.parse(fs.readFileSync(dir + '/crs.json', 'utf8'));
const rows = {};
for (const n of nodes)
	rows[n] = new Set(lines('rows-' + n + '.txt'));
const bad = [];

// CRs by the tag of the request that made them.
const byTag = new Map();
for (const cr of crs) {
	const a = ((cr.spec || {}).arguments || [])[0];
	if (!byTag.has(a))
		byTag.set(a, []);
	byTag.get(a).push(cr.metadata.name);
}

// The web server's own error documents: it answers with one when the
// gateway died under the request, whose outcome is then unknown.
const errdir = __dirname + '/../../httpd-conf/errors';
const webDocs = new Set(fs.readdirSync(errdir)
    .filter((f) => f.endsWith('.html'))
    .map((f) => fs.readFileSync(errdir + '/' + f, 'utf8').trim()));
const unknown = (r) => r.status === 0 || r.status === 502 ||
    r.status === 504 || webDocs.has((r.body || '').trim());
const cnt = { ok: 0, err: 0, unknown: 0, unknownWithCr: 0, byStatus: {} };
for (const r of load) {
	const got = byTag.get('ha-' + r.n) || [];
	cnt.byStatus[r.status] = (cnt.byStatus[r.status] || 0) + 1;
	if (r.status >= 200 && r.status < 300) {
		cnt.ok++;
		if (got.length !== 1 || got[0] !== r.id)
			bad.push(`request ${r.n}: ${r.status} ${r.id}, CRs ${got}`);
		for (const n of nodes)
			if (!rows[n].has(r.id))
				bad.push(`request ${r.n}: ${r.id} no row on node ${n}`);
	} else if (unknown(r)) {
		cnt.unknown++;
		if (got.length > 0)
			cnt.unknownWithCr++;
		if (got.length > 1)
			bad.push(`request ${r.n}: ${r.status}, CRs ${got}`);
	} else {
		cnt.err++;
		if (got.length !== 0)
			bad.push(`request ${r.n}: ${r.status} (${r.body}), CRs ${got}`);
	}
}
// Every CR has a row on every node (the row is written before the create).
for (const cr of crs)
	for (const n of nodes)
		if (!rows[n].has(cr.metadata.name))
			bad.push(`CR ${cr.metadata.name}: no row on node ${n}`);

const keys = new Map();
for (const r of idem) {
	if (!keys.has(r.k))
		keys.set(r.k, []);
	keys.get(r.k).push(r);
}
const ik = { keys: keys.size, ok: 0, bothSame: 0 };
for (const [k, rs] of keys) {
	const got = byTag.get('idem-' + k) || [];
	if (rs.length !== 2 || rs[0].status !== rs[1].status ||
	    rs[0].id !== rs[1].id) {
		bad.push(`key ${k}: answers differ: ` +
		    rs.map((r) => `${r.status} ${r.id} ${r.msg || ''}`).join(' / '));
		continue;
	}
	ik.bothSame++;
	if (rs[0].status >= 200 && rs[0].status < 300) {
		ik.ok++;
		if (got.length !== 1 || got[0] !== rs[0].id)
			bad.push(`key ${k}: CRs ${got}, answered ${rs[0].id}`);
	} else if (got.length !== 0 && rs[0].status !== 504) {
		bad.push(`key ${k}: ${rs[0].status}, CRs ${got}`);
	}
}

// Read-your-writes across nodes (wsrep_sync_wait): a batch created on
// instance 1 is there at once on instance 2.
let rywOk = 0;
for (const r of ryw) {
	if (r.post === 201 && r.get === 200)
		rywOk++;
	else
		bad.push(`batch ${r.ryw}: POST ${r.post}, GET on the other ` +
		    `instance ${r.get}: ${r.msg}`);
}

// Schedules and retries: exactly once across instances and takeovers.
const auto = JSON.parse(fs.readFileSync(dir + '/auto.json', 'utf8'));
const fires = lines('fires.txt').map((l) => l.split(/\s+/));
const fireOf = new Map(fires.map(([t, id, st]) => [id, { t, st }]));
const schedCrs = byTag.get('sched') || [];
let firesDone = 0;
for (const name of schedCrs)
	if (!fireOf.has(name))
		bad.push(`schedule: CR ${name} has no fire row`);
for (const [t, id, st] of fires) {
	const n = schedCrs.filter((x) => x === id).length;
	if (st === 'done') {
		firesDone++;
		if (n !== 1)
			bad.push(`schedule: fire ${t} (${id}) done with ${n} CRs`);
		for (const nd of nodes)
			if (!rows[nd].has(id))
				bad.push(`schedule: fire ${t}: ${id} no row on node ${nd}`);
	} else if (n > 1)
		bad.push(`schedule: fire ${t} (${id}, ${st}) with ${n} CRs`);
}
if (firesDone < 3)
	bad.push(`schedule: only ${firesDone} fires done`);
const att = new Map();
for (const [job, a, id] of lines('attempts.txt').map((l) => l.split(/\s+/)))
	att.set(job + '/' + a, id);
let jobsOk = 0;
for (const job of auto.jobs.filter((x) => x.first)) {
	const got = (byTag.get('retry-' + job.j) || []).slice().sort();
	const want = [job.first, att.get(job.first + '/2')].sort();
	if (!job.second || job.second !== att.get(job.first + '/2'))
		bad.push(`job ${job.j} (${job.first}): second attempt ` +
		    `${job.second}, attempt row ${att.get(job.first + '/2')}`);
	else if (att.has(job.first + '/3'))
		bad.push(`job ${job.j}: a third attempt`);
	else if (got.length !== 2 || got[0] !== want[0] || got[1] !== want[1])
		bad.push(`job ${job.j}: CRs ${got}, attempts ${want}`);
	else
		jobsOk++;
}
for (const job of auto.jobs.filter((x) => !x.first))
	if ((byTag.get('retry-' + job.j) || []).length > 1)
		bad.push(`job ${job.j}: answered ${job.status}, CRs ` +
		    byTag.get('retry-' + job.j));

const ms = load.filter((r) => r.status >= 200 && r.status < 300)
    .map((r) => r.ms).sort((a, b) => a - b);
const pct = (p) => ms.length ? ms[Math.min(ms.length - 1,
    Math.floor(ms.length * p))] : 0;
console.log(`ha: requests ${load.length}: 2xx ${cnt.ok}, errors ${cnt.err}, ` +
    `no answer ${cnt.unknown} (${cnt.unknownWithCr} of them made a CR); ` +
    `by status ${JSON.stringify(cnt.byStatus)}`);
console.log(`ha: 2xx latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, ` +
    `max ${ms.length ? ms[ms.length - 1] : 0} ms`);
console.log(`ha: CRs ${crs.length}; rows ` +
    nodes.map((n) => `node ${n} ${rows[n].size}`).join(', '));
console.log(`ha: idempotency keys ${ik.keys} sent to both instances: ` +
    `${ik.bothSame} answered alike, ${ik.ok} with 2xx and one CR each`);
console.log(`ha: read-your-writes: ${rywOk} of ${ryw.length} Livy ` +
    `batches created on instance 1 read at once on instance 2`);
console.log(`ha: schedule: ${fires.length} fires, ${firesDone} done, ` +
    `each with one CR; retries: ${jobsOk} of ` +
    `${auto.jobs.filter((x) => x.first).length} accepted jobs (of ` +
    `${auto.jobs.length}) with exactly their 2 attempts' CRs`);
if (bad.length) {
	console.log(`ha: FAIL: ${bad.length} violations; first ones:`);
	bad.slice(0, 20).forEach((b) => console.log('  ' + b));
	process.exit(1);
}
console.log('ha: OK');
