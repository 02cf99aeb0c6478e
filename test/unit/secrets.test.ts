import { checkSigningSecrets } from '../../nodes/shared/secrets';

const VALID = '3f8e2a4c-9b1d-4e7a-8c5f-0a1b2c3d4e5f';

describe('checkSigningSecrets', () => {
	it('accepts a UUID-like secret and says it cannot check online', () => {
		const result = checkSigningSecrets(VALID, '');
		expect(result.status).toBe('OK');
		expect(result.message).toContain('no way to check');
	});

	it('accepts a distinct previous secret', () => {
		expect(checkSigningSecrets(VALID, 'previous-secret-1234').status).toBe('OK');
	});

	it.each([
		['empty', '', 'empty'],
		['missing', undefined, 'empty'],
		['too short', 'short-secret', '12 characters'],
		['too long', 'x'.repeat(65), '65 characters'],
		['leading space', ` ${VALID}`, 'whitespace'],
		['trailing newline', `${VALID}\n`, 'whitespace'],
	])('rejects a secret that is %s', (_case, secret, hint) => {
		const result = checkSigningSecrets(secret, '');
		expect(result.status).toBe('Error');
		expect(result.message).toContain(hint);
	});

	it('rejects a previous secret equal to the current one', () => {
		const result = checkSigningSecrets(VALID, VALID);
		expect(result.status).toBe('Error');
		expect(result.message).toContain('same as the current one');
	});

	it('rejects a malformed previous secret', () => {
		const result = checkSigningSecrets(VALID, 'tiny');
		expect(result.status).toBe('Error');
		expect(result.message).toContain('previous signing secret');
	});
});
