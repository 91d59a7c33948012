// Steps are signed with node's ed25519 and serialized once; the wire bytes must be exactly what
// web3.js produces for the same message and key.
import { Keypair, SystemProgram, TransactionMessage, VersionedTransaction } from "@solana/web3.js";
import bs58 from "bs58";
import { describe, expect, it } from "vitest";
import { Signer } from "../../orchestrator/src/jobs/signer.js";

describe("step signer", () => {
  it("produces the same signature and wire bytes as a web3.js VersionedTransaction signed by the keypair", () => {
    for (let i = 0; i < 5; i++) {
      const payer = Keypair.generate();
      const message = new TransactionMessage({
        payerKey: payer.publicKey,
        recentBlockhash: bs58.encode(Keypair.generate().publicKey.toBytes()),
        instructions: [SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1_000 + i })],
      }).compileToV0Message();
      const theirs = new VersionedTransaction(message);
      theirs.sign([payer]);

      const ours = new Signer(payer).transaction(message);
      expect(ours.signature).toBe(bs58.encode(theirs.signatures[0]));
      expect(ours.raw.equals(Buffer.from(theirs.serialize()))).toBe(true);
      expect(VersionedTransaction.deserialize(ours.raw).signatures[0]).toEqual(theirs.signatures[0]);
    }
  });
});
