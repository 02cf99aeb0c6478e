import type {
	IBinaryData,
	IExecuteFunctions,
	IHttpRequestOptions,
	INode,
	INodeExecutionData,
} from 'n8n-workflow';

export interface ExecuteContextOptions {
	items: INodeExecutionData[];
	parameters?: Record<string, unknown>;
	continueOnFail?: boolean;
	httpRequest?: (options: IHttpRequestOptions) => Promise<unknown>;
	prepareBinaryData?: (
		buffer: Buffer,
		fileName?: string,
		mimeType?: string,
	) => Promise<IBinaryData>;
}

/**
 * Builds the part of `IExecuteFunctions` that an `execute()` method of this package reads. The
 * real engine is exercised in the workflow tests; this context makes single cases cheap.
 */
export function createExecuteContext(options: ExecuteContextOptions): IExecuteFunctions {
	const node: INode = {
		id: 'node-1',
		name: 'Karla Claim Normalize',
		type: 'CUSTOM.karlaClaimNormalize',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	const parameters = options.parameters ?? {};
	const context = {
		getInputData: () => options.items,
		getNode: () => node,
		continueOnFail: () => options.continueOnFail === true,
		getNodeParameter: (name: string, _itemIndex: number, fallback?: unknown) =>
			name in parameters ? parameters[name] : fallback,
		helpers: {
			httpRequest:
				options.httpRequest ??
				(async (request: IHttpRequestOptions) => {
					throw new Error(`unexpected request to ${request.url}`);
				}),
			prepareBinaryData:
				options.prepareBinaryData ??
				(async (buffer: Buffer, fileName?: string, mimeType?: string): Promise<IBinaryData> => ({
					data: buffer.toString('base64'),
					mimeType: mimeType ?? 'application/octet-stream',
					fileName,
					bytes: buffer.length,
				})),
		},
	};
	return context as unknown as IExecuteFunctions;
}
