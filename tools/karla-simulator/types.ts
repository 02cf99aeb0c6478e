/** A shop of the simulator, with the single API key it accepts. */
export interface SimulatorShop {
	slug: string;
	/** User name of the API key; Karla's default is the shop slug. */
	username?: string;
	apiKey: string;
}

export type WebhookStatus = 'active' | 'inactive';

/** A registered webhook, in Karla's field names. */
export interface SimulatedWebhook {
	uuid: string;
	shop_slug: string;
	url: string;
	enabled_events: string[];
	description: string | null;
	status: WebhookStatus;
	secret: string;
	created_at: string;
	updated_at: string;
}

/** One HTTP attempt to deliver an event to one webhook. */
export interface DeliveryAttempt {
	/** Shared by all attempts of one event to one webhook. */
	deliveryId: string;
	webhookUuid: string;
	shopSlug: string;
	url: string;
	ref: string | null;
	/** 1 for the first attempt. */
	attempt: number;
	/** The signature's `t`, in Unix seconds. */
	signatureTimestamp: number;
	signatureHeader: string;
	/** HTTP status of the receiver's response, or null when none arrived. */
	status: number | null;
	/** Network error or policy reason when no response arrived. */
	error: string | null;
	/** First 1,000 characters of the receiver's response body. */
	responseBody: string | null;
	ok: boolean;
	startedAt: string;
}

/** Outcome of delivering one event to one webhook, after all retries. */
export interface DeliveryResult {
	deliveryId: string;
	webhookUuid: string;
	url: string;
	delivered: boolean;
	attempts: DeliveryAttempt[];
}

export interface DeliverOptions {
	/** The event's ref for matching `enabled_events`; defaults to the event's own `ref`. */
	ref?: string;
	/** Shop whose webhooks receive the event; defaults to the event's `shop_slug`, else the first shop. */
	shop?: string;
}

export interface KarlaSimulatorOptions {
	shops: SimulatorShop[];
	/** Port on 127.0.0.1; 0, the default, picks a free one. */
	port?: number;
	/** Maximum attempts per event and webhook, the first included. Default 3. */
	maxAttempts?: number;
	/** Wait before the first retry, in ms; each later retry waits twice as long. Default 200. */
	retryBackoffMs?: number;
	/** Maximum time for one delivery attempt, in ms. Default 5,000. */
	deliveryTimeoutMs?: number;
	/**
	 * Host names that deliveries may go to. Defaults to loopback addresses only, so that a
	 * webhook URL typed by mistake cannot send claims to another machine.
	 */
	deliveryHosts?: readonly string[] | 'any';
	/** Clock for signature timestamps and records, in ms since the epoch. */
	now?: () => number;
	/** Receives one line per API request, delivery attempt and retry. Secrets are never passed. */
	log?: (line: string) => void;
}

export interface KarlaSimulator {
	/** Base URL of the API, for the Karla API credential's `baseUrl`. */
	baseUrl: string;
	/** The shops, with the user name filled in. */
	shops: ReadonlyArray<Required<SimulatorShop>>;
	/** Copies of the registered webhooks, secrets included, optionally of one shop. */
	webhooks(shopSlug?: string): SimulatedWebhook[];
	/**
	 * Signs and POSTs an event to every active webhook of the shop whose `enabled_events` match,
	 * retrying failed attempts. A Buffer or string is sent byte for byte; anything else as JSON.
	 * Resolves when every webhook has succeeded or used up its attempts.
	 */
	deliver(event: unknown, options?: DeliverOptions): Promise<DeliveryResult[]>;
	/** Every delivery attempt so far, oldest first. */
	deliveries(): DeliveryAttempt[];
	/** Makes the next `count` API requests fail with this status and a Karla error body. */
	failNextRequests(status: number, count?: number): void;
	/** Stops the server and cancels pending retries. */
	stop(): Promise<void>;
}
