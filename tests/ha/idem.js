// Keyed submissions to two gateway instances at once: for each of KEYS
// keys, the same request with the same Idempotency-Key goes to URL1 and to
// URL2 concurrently.  One JSON line per answer in OUT.  Then read-your-
// writes across instances: KEYS Livy batches, each created on URL1 and
// read at once on URL2 ({"ryw":k,"post","get","id"} lines).
//
//   node idem.js URL1 URL2 CA BODY OUT KEYS
'use strict';
const https = require('https');
const fs = require('fs');

const [u1, u2, ca, bodyFile, out, keys] = process.argv.slice(2);
const base = JSON.parse(fs.readFileSync(bodyFile, 'utf8'));
const agent = new https.Agent({ keepAlive: true, maxSockets: 16,
    ca: fs.readFileSync(ca) });
const auth = 'Basic ' + Buffer.from('alice:alice-pw').toString('base64');
const tag = process.pid + '-' + Date.now();

function call(method, url, body) {
	return new Promise((resolve) => {
		const h = { Authorization: auth };
		if (body) {
			h['Content-Type'] = 'application/json';
			h['Content-Length'] = Buffer.byteLength(body);
		}
		const req = https.request(url, { method, agent, timeout: 60000,
		    headers: h }, (res) => {
			let b = '';
			res.setEncoding('utf8');
			res.on('data', (c) => { b += c; });
			res.on('end', () => resolve({ status: res.statusCode,
			    body: b }));
		});
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', () => resolve({ status: 0, body: '' }));
		req.end(body);
	});
}

// A batch made through URL1, read through URL2 right after its 201.
async function ryw(k) {
	const p = await call('POST', u1 + '/batches', JSON.stringify({
	    file: base.mainApplicationFile, className: base.mainClass,
	    args: ['ryw-' + k], queue: base.queue }));
	let id = null;
	try { id = JSON.parse(p.body).id; } catch (e) { }
	const g = id === null || id === undefined ? { status: -1, body: '' } :
	    await call('GET', u2 + '/batches/' + id);
	return JSON.stringify({ ryw: k, id, post: p.status, get: g.status,
	    msg: g.status !== 200 ? (p.body + ' ' + g.body).slice(0, 300) :
	    undefined });
}

function post(url, k) {
	const body = JSON.stringify(Object.assign({}, base,
	    { arguments: ['idem-' + k] }));
	return new Promise((resolve) => {
		const req = https.request(url + '/spark', { method: 'POST',
		    agent, timeout: 60000, headers: {
		    'Content-Type': 'application/json', Authorization: auth,
		    'Idempotency-Key': 'ha-' + tag + '-' + k,
		    'Content-Length': Buffer.byteLength(body) } }, (res) => {
			let b = '';
			res.setEncoding('utf8');
			res.on('data', (c) => { b += c; });
			res.on('end', () => resolve({ status: res.statusCode,
			    body: b }));
		});
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', (e) => resolve({ status: 0, body: '',
		    err: String(e.code || e.message) }));
		req.end(body);
	});
}

(async () => {
	const lines = [];
	const jobs = [];
	for (let k = 0; k < +keys; k++)
		jobs.push(Promise.all([post(u1, k), post(u2, k)]).then((r) => {
			r.forEach((a, j) => {
				let id = null;
				try { id = JSON.parse(a.body).submissionId || null; }
				catch (e) { }
				lines.push(JSON.stringify({ k, inst: j + 1,
				    status: a.status, id, err: a.err || null,
				    msg: a.status >= 300 ? a.body.slice(0, 200) :
				    undefined }));
			});
		}));
	await Promise.all(jobs);
	for (let k = 0; k < +keys; k++)
		lines.push(await ryw(k));
	fs.writeFileSync(out, lines.join('\n') + '\n');
	agent.destroy();
})();
