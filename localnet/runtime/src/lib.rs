//! A Solana runtime for machines without the SBF toolchain: LiteSVM with host-compiled programs
//! executed natively (see `native`), their syscalls served by the running transaction (see `stubs`),
//! and SPL Token and the other default programs running as real SBF.
//!
//! Differences from a validator: native programs meter no compute units and have no SBF stack or
//! heap limits. Everything else (account serialization, CPI privilege checks, logs, error codes)
//! goes through the same agave code a validator runs.

mod native;
mod stubs;

use std::collections::HashMap;

use litesvm::LiteSVM;
use solana_account::{Account, AccountSharedData, ReadableAccount, WritableAccount};
use solana_clock::Clock;
use solana_hash::Hash;
use solana_message::VersionedMessage;
use solana_signature::Signature;
use solana_transaction_error::TransactionError;

pub use litesvm;
pub use solana_account_info::AccountInfo;
pub use solana_program_entrypoint::ProgramResult;
pub use solana_pubkey::Pubkey;
pub use solana_transaction::versioned::VersionedTransaction;

pub use native::ProgramEntry;

/// The outcome of a transaction, as a validator would report it.
#[derive(Debug, Clone)]
pub struct Executed {
    pub signature: Signature,
    pub result: Result<(), TransactionError>,
    pub logs: Vec<String>,
    /// Writable accounts whose lamports, owner or data changed, with their new state. For a failed
    /// transaction, only the fee payer's balance (nothing else is committed).
    pub changed: Vec<(Pubkey, Account)>,
}

/// A simulation: the outcome plus the post-state of every account the transaction names.
#[derive(Debug, Clone)]
pub struct Simulated {
    pub result: Result<(), TransactionError>,
    pub logs: Vec<String>,
    pub accounts: Vec<(Pubkey, Account)>,
}

pub struct Runtime {
    svm: LiteSVM,
}

impl Default for Runtime {
    fn default() -> Self {
        Self::new()
    }
}

impl Runtime {
    /// A runtime with the default programs (System, SPL Token, Token-2022, ATA, Memo, ...), the
    /// sysvars, signature verification on, and the margin program at its declared id.
    pub fn new() -> Self {
        let mut runtime = Self::without_programs();
        runtime.add_native_program(margin::ID, native_entry!(margin::entry));
        runtime
    }

    /// The same runtime without any native program.
    ///
    /// LiteSVM's own blockhash check accepts only the newest blockhash; callers that need a
    /// validator's recent-blockhash window (the RPC server) check it themselves.
    pub fn without_programs() -> Self {
        Self { svm: LiteSVM::new().with_blockhash_check(false) }
    }

    /// Executes `entry` whenever a transaction invokes `program_id`.
    pub fn add_native_program(&mut self, program_id: Pubkey, entry: ProgramEntry) {
        stubs::install();
        native::register(program_id, entry);
        self.svm.add_builtin(program_id, native::Builtin::vm);
        // LiteSVM 0.7 creates the program account owned by the BPF loader, which makes the runtime
        // look for an ELF. A native-loader-owned executable dispatches to the builtin by its own id.
        let mut account = AccountSharedData::new(1, 0, &solana_sdk_ids::native_loader::ID);
        account.set_executable(true);
        self.svm
            .set_account(program_id, account.into())
            .expect("a native-loader-owned program account is always accepted");
    }

    pub fn svm(&self) -> &LiteSVM {
        &self.svm
    }

    pub fn svm_mut(&mut self) -> &mut LiteSVM {
        &mut self.svm
    }

    pub fn get_account(&self, pubkey: &Pubkey) -> Option<Account> {
        self.svm.get_account(pubkey).filter(|a| a.lamports > 0)
    }

    /// An account's balance without copying its data; 0 for a missing account.
    pub fn lamports(&self, pubkey: &Pubkey) -> u64 {
        self.svm.accounts_db().inner.get(pubkey).map_or(0, ReadableAccount::lamports)
    }

    /// Every account owned by `owner`, in no particular order.
    pub fn program_accounts(&self, owner: &Pubkey) -> Vec<(Pubkey, Account)> {
        self.svm
            .accounts_db()
            .inner
            .iter()
            .filter(|(_, a)| a.owner() == owner && a.lamports() > 0)
            .map(|(k, a)| (*k, a.clone().into()))
            .collect()
    }

    pub fn latest_blockhash(&self) -> Hash {
        self.svm.latest_blockhash()
    }

    /// Moves to a fresh blockhash (a new block), returning it.
    pub fn new_blockhash(&mut self) -> Hash {
        self.svm.expire_blockhash();
        self.svm.latest_blockhash()
    }

    pub fn clock(&self) -> Clock {
        self.svm.get_sysvar::<Clock>()
    }

    pub fn set_clock(&mut self, slot: u64, unix_timestamp: i64) {
        let mut clock = self.clock();
        clock.slot = slot;
        clock.unix_timestamp = unix_timestamp;
        clock.epoch = slot / solana_clock::DEFAULT_SLOTS_PER_EPOCH;
        self.svm.set_sysvar(&clock);
    }

    pub fn send(&mut self, tx: VersionedTransaction) -> Executed {
        let writable = writable_keys(&tx.message);
        let before: HashMap<Pubkey, Option<Account>> = writable.iter().map(|k| (*k, self.svm.get_account(k))).collect();
        let (signature, result, logs) = match self.svm.send_transaction(tx) {
            Ok(meta) => (meta.signature, Ok(()), meta.logs),
            Err(failed) => (failed.meta.signature, Err(failed.err), failed.meta.logs),
        };
        // A failed transaction that landed still paid its fee: the payer's account changed too.
        let changed = before
            .into_iter()
            .filter_map(|(key, old)| {
                let new = self.svm.get_account(&key).unwrap_or_default();
                (old.unwrap_or_default() != new).then_some((key, new))
            })
            .collect();
        Executed { signature, result, logs, changed }
    }

    /// Executes as a validator's RPC does with preflight on: the transaction is simulated first and,
    /// if it fails there, refused without executing. Nothing of it is kept, not even its signature,
    /// so the same bytes can still land later with preflight off.
    pub fn send_preflighted(&mut self, tx: VersionedTransaction) -> Executed {
        let signature = tx.signatures.first().copied().unwrap_or_default();
        let sim = self.simulate(tx.clone(), true);
        match sim.result {
            Ok(()) => self.send(tx),
            Err(err) => Executed { signature, result: Err(err), logs: sim.logs, changed: Vec::new() },
        }
    }

    /// Executes without committing. `sig_verify = false` accepts unsigned transactions, as the
    /// RPC's `simulateTransaction` does by default.
    pub fn simulate(&mut self, tx: VersionedTransaction, sig_verify: bool) -> Simulated {
        if !sig_verify {
            self.set_sigverify(false);
        }
        let result = self.svm.simulate_transaction(tx);
        if !sig_verify {
            self.set_sigverify(true);
        }
        match result {
            Ok(info) => Simulated {
                result: Ok(()),
                logs: info.meta.logs,
                accounts: info.post_accounts.into_iter().map(|(k, a)| (k, a.into())).collect(),
            },
            Err(failed) => Simulated { result: Err(failed.err), logs: failed.meta.logs, accounts: vec![] },
        }
    }
}

impl Runtime {
    fn set_sigverify(&mut self, on: bool) {
        // LiteSVM only offers the by-value builder; its Default is an empty, cheap placeholder.
        let svm = std::mem::take(&mut self.svm);
        self.svm = svm.with_sigverify(on);
    }
}

/// The statically listed accounts a transaction may write (address-table accounts are not tracked).
fn writable_keys(message: &VersionedMessage) -> Vec<Pubkey> {
    let keys = message.static_account_keys();
    (0..keys.len()).filter(|&i| message.is_maybe_writable(i, None)).map(|i| keys[i]).collect()
}

/// The JSON shape a validator's RPC gives a transaction error (`{"InstructionError":[0,{"Custom":6000}]}`).
pub fn error_json(err: &TransactionError) -> String {
    serde_json::to_string(err).expect("transaction errors always serialize")
}

/// Decodes a transaction in wire format (legacy or versioned), refusing trailing bytes.
pub fn decode_transaction(wire: &[u8]) -> Result<VersionedTransaction, String> {
    use bincode::Options;
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .reject_trailing_bytes()
        .with_limit(1232)
        .deserialize::<VersionedTransaction>(wire)
        .map_err(|e| format!("failed to deserialize transaction: {e}"))
}
