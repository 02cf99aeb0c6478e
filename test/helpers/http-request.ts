import axios from 'axios';
import type { IHttpRequestOptions } from 'n8n-workflow';

/** One call that a test's `httpRequest` received, for assertions on the options. */
export type RecordedRequest = IHttpRequestOptions;

/**
 * Sends a real HTTP request the way n8n's `this.helpers.httpRequest` maps its options onto axios
 * (n8n-core 2.41: `disableFollowRedirect` sets `maxRedirects: 0`, `encoding` sets the response
 * type, `ignoreHttpStatusErrors` accepts every status, `abortSignal` becomes the signal, `returnFullResponse` returns body,
 * headers and status). Proxies from the environment are not used.
 */
export function createHttpRequest(calls: RecordedRequest[] = []) {
	return async (options: IHttpRequestOptions): Promise<unknown> => {
		calls.push(options);
		const response = await axios.request({
			url: options.url,
			method: options.method ?? 'GET',
			headers: options.headers as Record<string, string> | undefined,
			timeout: options.timeout,
			responseType: options.encoding ?? 'json',
			maxRedirects: options.disableFollowRedirect === true ? 0 : options.maxRedirects,
			validateStatus: options.ignoreHttpStatusErrors === true ? () => true : undefined,
			maxContentLength: Infinity,
			signal: options.abortSignal,
			proxy: false,
		});
		if (options.returnFullResponse === true) {
			return {
				body: response.data as unknown,
				headers: response.headers,
				statusCode: response.status,
				statusMessage: response.statusText,
			};
		}
		return response.data as unknown;
	};
}
