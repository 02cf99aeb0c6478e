import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
	Icon,
} from 'n8n-workflow';

/**
 * An API key of Karla's REST API. The Karla Claim Trigger uses it to register its webhook URL
 * with Karla when the workflow is activated, and to remove it when the workflow is deactivated.
 */
export class KarlaApi implements ICredentialType {
	name = 'karlaApi';

	displayName = 'Karla API';

	icon: Icon = { light: 'file:karla.svg', dark: 'file:karla.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-karla/n8n-nodes-karla#credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Shop Slug',
			name: 'shopSlug',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'example-shop',
			description: "The shop's identifier in Karla, as it appears in Karla's portal and API paths",
		},
		{
			displayName: 'Username',
			name: 'username',
			type: 'string',
			default: '',
			hint: 'Leave empty to use the shop slug, which is the user name Karla assigns to API keys by default',
			description: 'The user name assigned to the API key in Karla',
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			description: "An API key created in Karla's portal; it is sent as the Basic auth password",
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.gokarla.io',
			description: "Address of Karla's API. Change it only to reach a proxy or a test server.",
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			auth: {
				username: '={{$credentials.username || $credentials.shopSlug}}',
				password: '={{$credentials.apiKey}}',
			},
		},
	};

	// Listing one webhook needs the same permission as registering one, and changes nothing.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{($credentials.baseUrl || "https://api.gokarla.io").replace(/\\/+$/, "")}}',
			url: '=/v1/shops/{{encodeURIComponent($credentials.shopSlug.trim())}}/webhooks',
			method: 'GET',
			qs: { per_page: 1 },
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 400,
					message:
						"Karla rejected the API key as missing or malformed. Copy it again from Karla's portal, without spaces, and check the user name (empty means the shop slug).",
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message:
						"Karla rejected the API key as deleted or expired. Create a new API key in Karla's portal and enter it here.",
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message:
						'Karla denied access to this shop. Check that the API key belongs to the shop slug entered here and may manage webhooks.',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message:
						"Karla found no shop with this slug. Check the shop slug (as Karla's portal shows it) and the base URL.",
				},
			},
		],
	};
}
