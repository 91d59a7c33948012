//! `NativeRuntime` for Node: the native localnet runtime behind a small, synchronous API. Keys are
//! base58 strings, lamports are bigints, account data is a Buffer, transactions are wire bytes.
//! Every call catches panics, so a bad input becomes a JS error and never takes the process down.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::str::FromStr;

use localnet_runtime::{decode_transaction, error_json, Executed, Pubkey, Runtime};
use napi::bindgen_prelude::{BigInt, Buffer};
use napi::{Error, Result};
use napi_derive::napi;
use solana_account::Account;

#[napi(object)]
pub struct JsAccount {
    pub lamports: BigInt,
    pub owner: String,
    pub data: Buffer,
    pub executable: bool,
    pub rent_epoch: BigInt,
}

#[napi(object)]
pub struct KeyedAccount {
    pub pubkey: String,
    pub account: JsAccount,
}

#[napi(object)]
pub struct TxOutcome {
    pub signature: String,
    /// `null` on success, else the validator's JSON error shape, as a string.
    pub err_json: Option<String>,
    /// Human-readable error, as a validator prints it.
    pub err_message: Option<String>,
    pub logs: Vec<String>,
    /// Accounts the transaction changed (committed sends) or every account it names (simulations).
    pub accounts: Vec<KeyedAccount>,
}

fn to_js(account: Account) -> JsAccount {
    JsAccount {
        lamports: BigInt::from(account.lamports),
        owner: account.owner.to_string(),
        data: account.data.into(),
        executable: account.executable,
        rent_epoch: BigInt::from(account.rent_epoch),
    }
}

fn keyed(list: Vec<(Pubkey, Account)>) -> Vec<KeyedAccount> {
    list.into_iter()
        .map(|(key, account)| KeyedAccount { pubkey: key.to_string(), account: to_js(account) })
        .collect()
}

fn pubkey(s: &str) -> Result<Pubkey> {
    Pubkey::from_str(s).map_err(|_| Error::from_reason(format!("invalid public key: {s:?}")))
}

fn u64_of(value: &BigInt, what: &str) -> Result<u64> {
    let (negative, v, lossless) = value.get_u64();
    if negative || !lossless {
        return Err(Error::from_reason(format!("{what} must be an integer in 0..2^64")));
    }
    Ok(v)
}

fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(Error::from_reason(format!("{what}: internal runtime panic"))))
}

fn outcome(exec: Executed) -> TxOutcome {
    TxOutcome {
        signature: exec.signature.to_string(),
        err_json: exec.result.as_ref().err().map(error_json),
        err_message: exec.result.as_ref().err().map(ToString::to_string),
        logs: exec.logs,
        accounts: keyed(exec.changed),
    }
}

#[napi]
pub struct NativeRuntime {
    inner: Runtime,
}

#[napi]
impl NativeRuntime {
    /// A runtime with the default programs and the margin program loaded at its declared id.
    #[napi(constructor)]
    pub fn new() -> Self {
        Self { inner: Runtime::new() }
    }

    #[napi]
    pub fn margin_program_id(&self) -> String {
        margin::ID.to_string()
    }

    #[napi]
    pub fn latest_blockhash(&self) -> String {
        self.inner.latest_blockhash().to_string()
    }

    /// Starts a new block: a fresh blockhash, returned.
    #[napi]
    pub fn new_blockhash(&mut self) -> String {
        self.inner.new_blockhash().to_string()
    }

    #[napi]
    pub fn slot(&self) -> BigInt {
        BigInt::from(self.inner.clock().slot)
    }

    #[napi]
    pub fn set_clock(&mut self, slot: BigInt, unix_timestamp: i64) -> Result<()> {
        let slot = u64_of(&slot, "slot")?;
        self.inner.set_clock(slot, unix_timestamp);
        Ok(())
    }

    #[napi]
    pub fn minimum_balance_for_rent_exemption(&self, data_len: u32) -> BigInt {
        BigInt::from(self.inner.svm().minimum_balance_for_rent_exemption(data_len as usize))
    }

    #[napi]
    pub fn get_account(&self, address: String) -> Result<Option<JsAccount>> {
        Ok(self.inner.get_account(&pubkey(&address)?).map(to_js))
    }

    #[napi]
    pub fn set_account(&mut self, address: String, account: JsAccount) -> Result<()> {
        let key = pubkey(&address)?;
        let account = Account {
            lamports: u64_of(&account.lamports, "lamports")?,
            owner: pubkey(&account.owner)?,
            data: account.data.to_vec(),
            executable: account.executable,
            rent_epoch: u64_of(&account.rent_epoch, "rentEpoch")?,
        };
        guarded("setAccount", || {
            self.inner
                .svm_mut()
                .set_account(key, account)
                .map_err(|e| Error::from_reason(format!("account rejected: {e}")))
        })
    }

    #[napi]
    pub fn program_accounts(&self, owner: String) -> Result<Vec<KeyedAccount>> {
        Ok(keyed(self.inner.program_accounts(&pubkey(&owner)?)))
    }

    /// Sends `lamports` from the runtime's faucet in a real transfer transaction.
    #[napi]
    pub fn airdrop(&mut self, address: String, lamports: BigInt) -> Result<TxOutcome> {
        let key = pubkey(&address)?;
        let lamports = u64_of(&lamports, "lamports")?;
        guarded("airdrop", || {
            let before = self.inner.get_account(&key).unwrap_or_default();
            let result = self.inner.svm_mut().airdrop(&key, lamports);
            let after = self.inner.get_account(&key).unwrap_or_default();
            let (signature, result, logs) = match result {
                Ok(meta) => (meta.signature, Ok(()), meta.logs),
                Err(failed) => (failed.meta.signature, Err(failed.err), failed.meta.logs),
            };
            let changed = if before != after { vec![(key, after)] } else { vec![] };
            Ok(outcome(Executed { signature, result, logs, changed }))
        })
    }

    /// Executes a wire-format transaction and commits it when it succeeds.
    #[napi]
    pub fn send_transaction(&mut self, wire: Buffer) -> Result<TxOutcome> {
        let tx = decode_transaction(&wire).map_err(Error::from_reason)?;
        guarded("sendTransaction", || Ok(outcome(self.inner.send(tx))))
    }

    /// Executes a wire-format transaction without committing anything.
    #[napi]
    pub fn simulate_transaction(&mut self, wire: Buffer, sig_verify: bool) -> Result<TxOutcome> {
        let tx = decode_transaction(&wire).map_err(Error::from_reason)?;
        let signature = tx.signatures.first().map(ToString::to_string).unwrap_or_default();
        guarded("simulateTransaction", || {
            let sim = self.inner.simulate(tx, sig_verify);
            Ok(TxOutcome {
                signature,
                err_json: sim.result.as_ref().err().map(error_json),
                err_message: sim.result.as_ref().err().map(ToString::to_string),
                logs: sim.logs,
                accounts: keyed(sim.accounts),
            })
        })
    }
}
