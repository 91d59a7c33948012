// JSON-RPC 2.0 errors with the codes a Solana validator uses.
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
/** Validator: "Transaction simulation failed" / preflight failure. */
export const SEND_TRANSACTION_PREFLIGHT_FAILURE = -32002;
/** Validator: "Transaction signature verification failure". */
export const TRANSACTION_SIGNATURE_VERIFICATION_FAILURE = -32003;

/** Validator: "Block {slot} cleaned up, does not exist on node". */
export const BLOCK_CLEANED_UP = -32001;
/** Validator: "Block not available for slot {slot}". */
export const BLOCK_NOT_AVAILABLE = -32004;

export const invalidParams = (message: string) => new RpcError(INVALID_PARAMS, message);
