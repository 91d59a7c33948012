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
        instructions: [
          SystemProgram.transfer({
            fromPubkey: payer.publicKey,
            toPubkey: Keypair.generate().publicKey,
            lamports: 1_000 + i,
          }),
        ],
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

describe("step message", () => {
  it("serializes a step's instructions exactly as web3.js compileToV0Message does", async () => {
    const { ComputeBudgetProgram } = await import("@solana/web3.js");
    const { compileV0Message, MessageSize } = await import("../../orchestrator/src/jobs/message.js");
    const { liquidateInstruction } = await import("../../orchestrator/src/chain/instructions.js");
    const k = () => Keypair.generate().publicKey.toBase58();
    for (let i = 0; i < 20; i++) {
      const payer = Keypair.generate().publicKey;
      const markets = new Map(
        Array.from({ length: 1 + (i % 3) }, () => ({ address: k(), oracle: k() })).map((m) => [m.address, m as never]),
      );
      const [first] = [...markets.values()] as { address: string; oracle: string }[];
      const account = {
        address: k(),
        positions: [...markets.keys()].map((market) => ({ market, base: 1n, quoteEntry: 0n })),
      };
      const ix = liquidateInstruction(
        Keypair.generate().publicKey,
        // The payer liquidates: its key appears again, as a signer.
        { authority: payer, token: Keypair.generate().publicKey },
        { address: k(), quoteVault: k(), insuranceVault: k() } as never,
        account as never,
        first as never,
        markets,
        BigInt(1_000_000 + i),
      );
      const ixs = [
        ComputeBudgetProgram.setComputeUnitLimit({ units: 200_000 + i }),
        ComputeBudgetProgram.setComputeUnitPrice({ microLamports: i }),
        ix,
      ];
      const blockhash = bs58.encode(Keypair.generate().publicKey.toBytes());
      const theirs = new TransactionMessage({ payerKey: payer, recentBlockhash: blockhash, instructions: ixs })
        .compileToV0Message()
        .serialize();
      expect(compileV0Message(payer, blockhash, ixs).toString("hex")).toBe(Buffer.from(theirs).toString("hex"));
      // The packer's running size agrees with the serialized length, before and after each instruction.
      const size = new MessageSize(payer, ixs.slice(0, 2));
      expect(size.with(ix)).toBe(theirs.length);
      expect(size.bytes).toBe(compileV0Message(payer, blockhash, ixs.slice(0, 2)).length);
      size.add(ix);
      expect(size.bytes).toBe(theirs.length);
      // A second step on other accounts shares the program, the exchange and the markets.
      const other = liquidateInstruction(
        Keypair.generate().publicKey,
        { authority: payer, token: Keypair.generate().publicKey },
        { address: k(), quoteVault: k(), insuranceVault: k() } as never,
        { ...account, address: k() } as never,
        first as never,
        markets,
        7n,
      );
      expect(size.with(other)).toBe(compileV0Message(payer, blockhash, [...ixs, other]).length);
    }
  });
});
