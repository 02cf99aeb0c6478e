/** Karla accepts webhook secrets of 16 to 64 characters. */
export const MIN_SECRET_LENGTH = 16;
export const MAX_SECRET_LENGTH = 64;

export interface SecretCheckResult {
	status: 'OK' | 'Error';
	message: string;
}

const CANNOT_CHECK_ONLINE =
	'Karla offers no way to check a signing secret, so only its format was checked: the first signed delivery proves it.';

function formatProblem(label: string, secret: string): string | null {
	if (secret !== secret.trim()) {
		return `The ${label} starts or ends with whitespace. Copy it again from Karla's portal without spaces or line breaks.`;
	}
	if (secret.length < MIN_SECRET_LENGTH || secret.length > MAX_SECRET_LENGTH) {
		return `The ${label} has ${secret.length} characters, but Karla's secrets have ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH}. Copy the whole secret from Karla's portal.`;
	}
	return null;
}

/**
 * Checks what can be checked about the signing secrets without Karla: length, surrounding
 * whitespace, and that the previous secret differs from the current one. Never throws.
 */
export function checkSigningSecrets(current: unknown, previous: unknown): SecretCheckResult {
	if (typeof current !== 'string' || current === '') {
		return {
			status: 'Error',
			message: "The signing secret is empty. Copy it from Karla's portal.",
		};
	}
	const currentProblem = formatProblem('signing secret', current);
	if (currentProblem !== null) return { status: 'Error', message: currentProblem };

	if (typeof previous === 'string' && previous !== '') {
		const previousProblem = formatProblem('previous signing secret', previous);
		if (previousProblem !== null) return { status: 'Error', message: previousProblem };
		if (previous === current) {
			return {
				status: 'Error',
				message:
					'The previous signing secret is the same as the current one. Clear it, or enter the secret the webhook had before the rotation.',
			};
		}
	}
	return { status: 'OK', message: `The secret's format is valid. ${CANNOT_CHECK_ONLINE}` };
}
