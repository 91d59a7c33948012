// The orchestrator encodes its instructions itself (no async account resolution in the hot path);
// they must be byte for byte what Anchor's client builds from the IDL.
import { AnchorProvider, Program, type Wallet } from "@coral-xyz/anchor";
import { Connection, Keypair, PublicKey, type TransactionInstruction } from "@solana/web3.js";
import BN from "bn.js";
import { describe, expect, it } from "vitest";
import { IDL, type Margin } from "../../orchestrator/src/chain/idl.js";
import {
  liquidateInstruction,
  resolveInstruction,
  settleClaimInstruction,
  unflagInstruction,
} from "../../orchestrator/src/chain/instructions.js";
import type { ExchangeState } from "../../orchestrator/src/chain/accounts.js";
import type { AccountState, MarketState } from "../../orchestrator/src/risk/types.js";

const programId = new PublicKey(IDL.address);
const anchorProgram = new Program<Margin>(
  IDL,
  new AnchorProvider(new Connection("http://127.0.0.1:1"), { publicKey: PublicKey.default } as unknown as Wallet, {}),
);
const address = () => Keypair.generate().publicKey.toBase58();

const exchange = { address: address(), quoteVault: address(), insuranceVault: address() } as ExchangeState;
const market = (): MarketState => ({ address: address(), oracle: address() }) as MarketState;
const [sol, btc, eth] = [market(), market(), market()];
const markets = new Map([sol, btc, eth].map((m) => [m.address, m]));
const account = {
  address: address(),
  positions: [
    { market: btc.address, base: 5n, quoteEntry: -300n },
    { market: sol.address, base: -7n, quoteEntry: 900n },
    { market: eth.address, base: 2n, quoteEntry: -60n },
  ],
} as AccountState;
const pairs = (...ms: MarketState[]) =>
  ms.flatMap((m) =>
    [m.address, m.oracle].map((k) => ({ pubkey: new PublicKey(k), isSigner: false, isWritable: false })),
  );

const plain = (ix: TransactionInstruction) => ({
  programId: ix.programId.toBase58(),
  keys: ix.keys.map((k) => `${k.pubkey.toBase58()} ${k.isSigner ? "s" : "-"}${k.isWritable ? "w" : "-"}`),
  data: ix.data.toString("hex"),
});

describe("instruction encoding", () => {
  it("encodes liquidate as Anchor does, with the other positions' market and oracle pairs in position order", async () => {
    const liquidator = { authority: Keypair.generate().publicKey, token: Keypair.generate().publicKey };
    const limit = 149_250_001n;
    const ours = liquidateInstruction(programId, liquidator, exchange, account, sol, markets, limit);
    const theirs = await anchorProgram.methods
      .liquidate(new BN(limit.toString()))
      .accountsPartial({
        liquidator: liquidator.authority,
        exchange: new PublicKey(exchange.address),
        marginAccount: new PublicKey(account.address),
        market: new PublicKey(sol.address),
        oracle: new PublicKey(sol.oracle),
        liquidatorToken: liquidator.token,
        quoteVault: new PublicKey(exchange.quoteVault),
        insuranceVault: new PublicKey(exchange.insuranceVault),
      })
      .remainingAccounts(pairs(btc, eth))
      .instruction();
    expect(plain(ours)).toEqual(plain(theirs));
  });

  it("encodes resolve_bankruptcy as Anchor does, the other markets of the shortfall record writable after it", async () => {
    const caller = Keypair.generate().publicKey;
    const ours = resolveInstruction(programId, caller, exchange, account, btc, [sol, eth]);
    const theirs = await anchorProgram.methods
      .resolveBankruptcy()
      .accountsPartial({
        caller,
        exchange: new PublicKey(exchange.address),
        marginAccount: new PublicKey(account.address),
        market: new PublicKey(btc.address),
        quoteVault: new PublicKey(exchange.quoteVault),
        insuranceVault: new PublicKey(exchange.insuranceVault),
      })
      .remainingAccounts(
        [sol, eth].map((m) => ({ pubkey: new PublicKey(m.address), isSigner: false, isWritable: true })),
      )
      .instruction();
    expect(plain(ours)).toEqual(plain(theirs));
  });

  it("encodes unflag_account as Anchor does, with every position's market and oracle pair", async () => {
    const ours = unflagInstruction(programId, exchange, account, markets);
    const theirs = await anchorProgram.methods
      .unflagAccount()
      .accountsPartial({ exchange: new PublicKey(exchange.address), marginAccount: new PublicKey(account.address) })
      .remainingAccounts(pairs(btc, sol, eth))
      .instruction();
    expect(plain(ours)).toEqual(plain(theirs));
  });

  it("encodes settle_claim as Anchor does", async () => {
    const ours = settleClaimInstruction(programId, exchange, account, eth);
    const theirs = await anchorProgram.methods
      .settleClaim()
      .accountsPartial({
        exchange: new PublicKey(exchange.address),
        marginAccount: new PublicKey(account.address),
        market: new PublicKey(eth.address),
      })
      .instruction();
    expect(plain(ours)).toEqual(plain(theirs));
  });
});
