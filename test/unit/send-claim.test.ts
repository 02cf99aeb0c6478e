import { mkdtemp, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';

import { validateClaimEvent } from '../../nodes/shared/schemas';
import { buildRealisticClaimEvent, mergeJson } from '../../scripts/lib/realistic-claims';
import {
	parseSendClaimArgs,
	runSendClaim,
	sendSignedDelivery,
	SEND_CLAIM_USAGE,
} from '../../scripts/lib/send-claim';
import { startSignedReceiver, type SignedReceiver } from '../helpers/signed-receiver';

const SECRET = 'whsec-test-3b9f1c2d7e8a4f60';

function captureOutput() {
	const out: string[] = [];
	const err: string[] = [];
	return {
		out,
		err,
		output: { out: (text: string) => out.push(text), err: (text: string) => err.push(text) },
	};
}

describe('buildRealisticClaimEvent', () => {
	it('is a valid claim', () => {
		const event = buildRealisticClaimEvent();
		expect(validateClaimEvent(event)).toEqual({ valid: true, issues: [] });
		expect(event.ref).toBe('claims/created');
		expect(event.source).toBe('claims');
	});

	it('builds an updated claim', () => {
		const now = new Date('2026-03-03T11:02:10.123Z');
		const event = buildRealisticClaimEvent({ ref: 'claims/updated', claimId: 'c-1', now });
		const data = event.event_data as Record<string, unknown>;
		expect(event.ref).toBe('claims/updated');
		expect(event.event_group).toBe('claim_updated');
		expect(event.triggered_at).toBe('2026-03-03T11:02:10+00:00');
		expect(data.claim_id).toBe('c-1');
		expect(data.event_name).toBe('updated');
		expect(data.status).toBe('accepted');
		expect(String(data.updated_at) > String(data.created_at)).toBe(true);
		expect(validateClaimEvent(event).valid).toBe(true);
	});

	it('uses Karla CDN photo URLs', () => {
		const data = buildRealisticClaimEvent().event_data as { image_urls: string[] };
		expect(data.image_urls.length).toBeGreaterThan(0);
		for (const url of data.image_urls) expect(url).toMatch(/^https:\/\/cdn\.gokarla\.io\//);
	});

	it('new claim ids by default', () => {
		const first = buildRealisticClaimEvent().event_data as { claim_id: string };
		const second = buildRealisticClaimEvent().event_data as { claim_id: string };
		expect(first.claim_id).not.toBe(second.claim_id);
	});

	it('applies nested overrides', () => {
		const event = buildRealisticClaimEvent({
			overrides: {
				event_data: { reason: 'missing_item', image_urls: [] },
				context: { customer: { email: 'max@example.org' } },
			},
		});
		const data = event.event_data as Record<string, unknown>;
		const context = event.context as { customer: Record<string, unknown> };
		expect(data.reason).toBe('missing_item');
		expect(data.image_urls).toEqual([]);
		expect(data.resolution_preference).toBe('refund');
		expect(context.customer.email).toBe('max@example.org');
		expect(context.customer.first_name).toBe('Jane');
	});

	it('mergeJson leaves inputs unchanged', () => {
		const base = { a: { b: 1 } };
		const merged = mergeJson(base, { a: { c: 2 } });
		expect(merged).toEqual({ a: { b: 1, c: 2 } });
		expect(base).toEqual({ a: { b: 1 } });
	});
});

describe('parseSendClaimArgs', () => {
	const required = ['--url', 'http://127.0.0.1:5678/webhook/abc/karla', '--secret', SECRET];

	it('reads required arguments', () => {
		expect(parseSendClaimArgs(required)).toEqual({
			kind: 'send',
			args: {
				url: 'http://127.0.0.1:5678/webhook/abc/karla',
				secret: SECRET,
				event: 'created',
				file: undefined,
				timestampSeconds: undefined,
			},
			warnings: [],
		});
	});

	it('reads optional arguments', () => {
		const parsed = parseSendClaimArgs([...required, '--event', 'updated', '--timestamp', '17']);
		expect(parsed.kind).toBe('send');
		if (parsed.kind !== 'send') return;
		expect(parsed.args.event).toBe('updated');
		expect(parsed.args.timestampSeconds).toBe(17);
	});

	it('recognises --help', () => {
		expect(parseSendClaimArgs(['--help'])).toEqual({ kind: 'help' });
	});

	it.each([
		[[], /--url is missing/],
		[['--url', 'http://x.example'], /--secret is missing/],
		[['--secret', SECRET], /--url is missing/],
		[['--url', 'not a url', '--secret', SECRET], /not a valid URL/],
		[['--url', 'ftp://x.example', '--secret', SECRET], /must start with http/],
		[[...required, '--event', 'deleted'], /created or updated, not deleted/],
		[[...required, '--event', 'created', '--file', 'x.json'], /cannot be combined/],
		[[...required, '--timestamp', 'yesterday'], /Unix seconds/],
		[[...required, '--verbose'], /Unknown option '--verbose'/],
		[[...required, 'extra'], /positional/],
	])('rejects %j', (argv, message) => {
		const parsed = parseSendClaimArgs(argv);
		expect(parsed.kind).toBe('invalid');
		if (parsed.kind !== 'invalid') return;
		expect(parsed.error).toMatch(message);
	});

	it('warns on unusual secret length', () => {
		const parsed = parseSendClaimArgs(['--url', 'http://x.example', '--secret', 'short']);
		expect(parsed.kind).toBe('send');
		if (parsed.kind !== 'send') return;
		expect(parsed.warnings).toEqual([
			"The secret has 5 characters, but Karla's secrets have 16 to 64.",
		]);
	});
});

describe('send-claim against a receiver', () => {
	let receiver: SignedReceiver | undefined;
	let folder: string;

	beforeEach(async () => {
		folder = await mkdtemp(join(tmpdir(), 'send-claim-'));
	});

	afterEach(async () => {
		await receiver?.close();
		receiver = undefined;
		await rm(folder, { recursive: true, force: true });
	});

	it('sends a signed claim', async () => {
		receiver = await startSignedReceiver({ secret: SECRET });
		const { out, err, output } = captureOutput();

		const exitCode = await runSendClaim(
			['--url', receiver.url, '--secret', SECRET, '--event', 'updated'],
			output,
			1_772_000_000_000,
		);

		expect(exitCode).toBe(0);
		expect(receiver.requests).toHaveLength(1);
		const [request] = receiver.requests;
		expect(request.method).toBe('POST');
		expect(request.path).toBe('/webhook/test/karla');
		expect(request.signatureValid).toBe(true);
		expect(request.timestamp).toBe(1_772_000_000);
		expect(request.headers['content-type']).toBe('application/json');
		const event = JSON.parse(request.rawBody.toString('utf8')) as Record<string, unknown>;
		expect(event.ref).toBe('claims/updated');
		expect(validateClaimEvent(event).valid).toBe(true);
		expect(out).toEqual(['HTTP 200 OK', '{"received":true}']);
		expect(err.join('\n')).toMatch(/^Sending claims\/updated for claim /);
		expect([...out, ...err].join('\n')).not.toContain(SECRET);
	});

	it('sends a file byte for byte', async () => {
		receiver = await startSignedReceiver({ secret: SECRET });
		const bytes = Buffer.from(
			'{\n  "ref": "claims/created",\n  "note": "caf\\u00e9 \u00fcml\u00e4ut \ud83d\udce6"\r\n}\n',
			'utf8',
		);
		const file = join(folder, 'claim.json');
		await writeFile(file, bytes);

		const exitCode = await runSendClaim(
			['--url', receiver.url, '--secret', SECRET, '--file', file],
			captureOutput().output,
		);

		expect(exitCode).toBe(0);
		expect(receiver.requests[0].rawBody.equals(bytes)).toBe(true);
		expect(receiver.requests[0].signatureValid).toBe(true);
	});

	it('sends a non-JSON file unchanged', async () => {
		receiver = await startSignedReceiver({ secret: SECRET });
		const bytes = Buffer.from([0x00, 0xff, 0x7b, 0x0a]);
		const file = join(folder, 'broken.bin');
		await writeFile(file, bytes);
		await runSendClaim(
			['--url', receiver.url, '--secret', SECRET, '--file', file],
			captureOutput().output,
		);
		expect(receiver.requests[0].rawBody.equals(bytes)).toBe(true);
	});

	it('exits 1 on a wrong secret', async () => {
		receiver = await startSignedReceiver({ secret: SECRET });
		const { out, output } = captureOutput();
		const exitCode = await runSendClaim(
			['--url', receiver.url, '--secret', 'another-secret-of-24-chars'],
			output,
		);
		expect(exitCode).toBe(1);
		expect(receiver.requests[0].signatureValid).toBe(false);
		expect(out).toEqual(['HTTP 401 Unauthorized', '{"error":"Unauthorized"}']);
	});

	it('exits 1 on a server error', async () => {
		receiver = await startSignedReceiver({
			secret: SECRET,
			respond: () => ({ status: 500, body: 'Internal Server Error' }),
		});
		const { out, output } = captureOutput();
		const exitCode = await runSendClaim(['--url', receiver.url, '--secret', SECRET], output);
		expect(exitCode).toBe(1);
		expect(out).toEqual(['HTTP 500 Internal Server Error', 'Internal Server Error']);
	});

	it('exits 1 on a network error', async () => {
		receiver = await startSignedReceiver({ secret: SECRET });
		const url = receiver.url;
		await receiver.close();
		const { err, output } = captureOutput();
		const exitCode = await runSendClaim(['--url', url, '--secret', SECRET], output);
		expect(exitCode).toBe(1);
		expect(err.at(-1)).toMatch(/^Error: the request to .* failed: .*ECONNREFUSED/);
	});

	it('exits 2 with usage on bad arguments', async () => {
		const { out, err, output } = captureOutput();
		const exitCode = await runSendClaim(['--url', 'http://127.0.0.1:1/x'], output);
		expect(exitCode).toBe(2);
		expect(out).toEqual([]);
		expect(err[0]).toContain('Error: --secret is missing.');
		expect(err[0]).toContain(SEND_CLAIM_USAGE);
	});

	it('exits 2 on a missing file', async () => {
		const { err, output } = captureOutput();
		const file = join(folder, 'absent.json');
		const exitCode = await runSendClaim(
			['--url', 'http://127.0.0.1:1/x', '--secret', SECRET, '--file', file],
			output,
		);
		expect(exitCode).toBe(2);
		expect(err[0]).toMatch(/^Error: cannot read .*absent\.json: ENOENT/);
	});

	it('prints usage for --help', async () => {
		const { out, output } = captureOutput();
		await expect(runSendClaim(['--help'], output)).resolves.toBe(0);
		expect(out).toEqual([SEND_CLAIM_USAGE]);
	});

	it('sendSignedDelivery returns any status', async () => {
		receiver = await startSignedReceiver({
			secret: SECRET,
			respond: () => ({ status: 404, body: 'not registered' }),
		});
		const response = await sendSignedDelivery({
			url: receiver.url,
			secret: SECRET,
			rawBody: Buffer.from('{}'),
			timestampSeconds: 1_700_000_000,
		});
		expect(response).toEqual({ status: 404, statusText: 'Not Found', body: 'not registered' });
	});
});
