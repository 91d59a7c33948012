// Signing with node's own ed25519: web3.js signs in JavaScript (@noble/curves), at about 2.5 ms a
// signature on this machine kind, the largest single cost of a step. ed25519 is deterministic, so
// the bytes are the same either way (a test pins that).
import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import type { Keypair, VersionedMessage } from "@solana/web3.js";
import bs58 from "bs58";

/** DER prefix of a PKCS#8 ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");

export class Signer {
  private readonly key: KeyObject;

  constructor(readonly keypair: Keypair) {
    this.key = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519, Buffer.from(keypair.secretKey.subarray(0, 32))]),
      format: "der",
      type: "pkcs8",
    });
  }

  get publicKey() {
    return this.keypair.publicKey;
  }

  /** The wire layout of `transaction` with a zero signature, for simulation without signature checks. */
  unsigned(message: Uint8Array): Buffer {
    return Buffer.concat([Buffer.from([1]), Buffer.alloc(64), message]);
  }

  /**
   * A transaction with this key as its only signer, as wire bytes: the signature count, the
   * signature, the message (what VersionedTransaction.serialize writes), serialized once.
   */
  transaction(message: VersionedMessage | Uint8Array): { signature: string; raw: Buffer } {
    const bytes = Buffer.from(message instanceof Uint8Array ? message : message.serialize());
    const signature = sign(null, bytes, this.key);
    return { signature: bs58.encode(signature), raw: Buffer.concat([Buffer.from([1]), signature, bytes]) };
  }
}
