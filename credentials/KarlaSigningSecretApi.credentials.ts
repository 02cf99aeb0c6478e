import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * The secret Karla signs each webhook delivery with. It never leaves n8n: the trigger uses it to
 * verify the `Karla-Signature` header, so there is no Karla API call to test it against.
 */
export class KarlaSigningSecretApi implements ICredentialType {
	name = 'karlaSigningSecretApi';

	// eslint-disable-next-line n8n-nodes-base/cred-class-field-display-name-missing-api -- the secret signs webhooks and is no API key, so the name says what the user copies
	displayName = 'Karla Signing Secret';

	icon: Icon = { light: 'file:karla.svg', dark: 'file:karla.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-karla/n8n-nodes-karla#credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Signing Secret',
			name: 'signingSecret',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			hint: "16 to 64 characters. Karla's portal shows it beside the webhook that points at this workflow; a secret Karla generated looks like a UUID.",
			description:
				'The secret of the Karla webhook that points at this workflow. Karla shows it in the portal, and its API only once, when the webhook is created.',
		},
		{
			displayName: 'Previous Signing Secret',
			name: 'previousSigningSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			hint: 'Only while you rotate the secret: deliveries signed with either secret are accepted. Clear it once Karla uses the new one.',
			description: 'The secret the webhook had before the current one',
		},
	];
}
