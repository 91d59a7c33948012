//! `NativeRuntime` for Node: the native localnet runtime behind a small, synchronous API. Keys are
//! base58 strings, lamports are bigints, account data is a Buffer, transactions are wire bytes.
//! Every call catches panics, so a bad input becomes a JS error and never takes the process down.
//! A runtime has its own thread (see `RuntimeThread`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::str::FromStr;
use std::sync::mpsc;

use localnet_runtime::{decode_transaction, error_json, Executed, Pubkey, Runtime, VersionedTransaction};
use napi::bindgen_prelude::{AsyncTask, BigInt, Buffer};
use napi::{Env, Error, Result, Task};
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
    /// The static account keys of a send (empty for simulations), and their lamports before and
    /// after it, as numbers: the RPC reports balances as JSON numbers anyway.
    pub account_keys: Vec<String>,
    pub pre_balances: Vec<f64>,
    pub post_balances: Vec<f64>,
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
    list.into_iter().map(|(key, account)| KeyedAccount { pubkey: key.to_string(), account: to_js(account) }).collect()
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

fn outcome((exec, keys, pre_balances, post_balances): Sent) -> TxOutcome {
    TxOutcome {
        signature: exec.signature.to_string(),
        err_json: exec.result.as_ref().err().map(error_json),
        err_message: exec.result.as_ref().err().map(ToString::to_string),
        logs: exec.logs,
        accounts: keyed(exec.changed),
        account_keys: keys.iter().map(ToString::to_string).collect(),
        pre_balances,
        post_balances,
    }
}

fn balances(rt: &Runtime, keys: &[Pubkey]) -> Vec<f64> {
    keys.iter().map(|k| rt.lamports(k) as f64).collect()
}

/// An execution with the transaction's static account keys and their balances before and after.
type Sent = (Executed, Vec<Pubkey>, Vec<f64>, Vec<f64>);

fn send_with_balances(rt: &mut Runtime, tx: VersionedTransaction, preflight: bool) -> Sent {
    let keys = tx.message.static_account_keys().to_vec();
    let pre = balances(rt, &keys);
    let exec = if preflight { rt.send_preflighted(tx) } else { rt.send(tx) };
    let post = balances(rt, &keys);
    (exec, keys, pre, post)
}

/// A send already queued on the runtime thread; a libuv worker waits for its outcome, so the
/// JavaScript thread keeps serving while the transaction executes.
pub struct PendingSend {
    answer: Answer<Sent>,
}

impl Task for PendingSend {
    type Output = Sent;
    type JsValue = TxOutcome;

    fn compute(&mut self) -> Result<Sent> {
        self.answer.wait("sendTransaction")
    }

    fn resolve(&mut self, _env: Env, sent: Sent) -> Result<TxOutcome> {
        Ok(outcome(sent))
    }
}

type Job = Box<dyn FnOnce(&mut Runtime) + Send>;

/// The runtime lives on a thread of its own. SBF programs run JIT-compiled machine code, and
/// keeping that code (and the natively executed program) off the JavaScript thread means nothing it
/// does to registers or the stack can touch V8's state. Calls stay synchronous for JavaScript.
struct RuntimeThread {
    jobs: mpsc::Sender<Job>,
}

impl RuntimeThread {
    fn start() -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("localnet-runtime".into())
            // Natively executed programs are not bound by SBF's 4 KiB frames: give them room.
            .stack_size(64 * 1024 * 1024)
            .spawn(move || {
                let mut runtime = Runtime::new();
                for job in queue {
                    job(&mut runtime);
                }
            })
            .expect("spawn the runtime thread");
        Self { jobs }
    }

    /// Queues `f`; jobs run in the order they are queued.
    fn queue<R: Send + 'static>(
        &self,
        what: &str,
        f: impl FnOnce(&mut Runtime) -> R + Send + 'static,
    ) -> Result<Answer<R>> {
        let (reply, answer) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |rt| {
            let _ = reply.send(catch_unwind(AssertUnwindSafe(|| f(rt))).ok());
        });
        self.jobs.send(job).map_err(|_| Error::from_reason(format!("{what}: runtime thread stopped")))?;
        Ok(Answer(answer))
    }

    fn run<R: Send + 'static>(&self, what: &str, f: impl FnOnce(&mut Runtime) -> R + Send + 'static) -> Result<R> {
        self.queue(what, f)?.wait(what)
    }
}

/// The result of a queued job; `None` when it panicked.
struct Answer<R>(mpsc::Receiver<Option<R>>);

impl<R> Answer<R> {
    fn wait(&self, what: &str) -> Result<R> {
        self.0.recv().ok().flatten().ok_or_else(|| Error::from_reason(format!("{what}: internal runtime panic")))
    }
}

#[napi]
pub struct NativeRuntime {
    inner: RuntimeThread,
}

#[napi]
impl NativeRuntime {
    /// A runtime with the default programs and the margin program loaded at its declared id.
    // JavaScript's `new NativeRuntime()`: it starts a thread, which no `Default` should do.
    #[allow(clippy::new_without_default)]
    #[napi(constructor)]
    pub fn new() -> Self {
        Self { inner: RuntimeThread::start() }
    }

    #[napi]
    pub fn margin_program_id(&self) -> String {
        margin::ID.to_string()
    }

    #[napi]
    pub fn latest_blockhash(&self) -> Result<String> {
        self.inner.run("latestBlockhash", |rt| rt.latest_blockhash().to_string())
    }

    /// Starts a new block: a fresh blockhash, returned.
    #[napi]
    pub fn new_blockhash(&self) -> Result<String> {
        self.inner.run("newBlockhash", |rt| rt.new_blockhash().to_string())
    }

    #[napi]
    pub fn slot(&self) -> Result<BigInt> {
        self.inner.run("slot", |rt| rt.clock().slot).map(BigInt::from)
    }

    #[napi]
    pub fn set_clock(&self, slot: BigInt, unix_timestamp: i64) -> Result<()> {
        let slot = u64_of(&slot, "slot")?;
        self.inner.run("setClock", move |rt| rt.set_clock(slot, unix_timestamp))
    }

    #[napi]
    pub fn minimum_balance_for_rent_exemption(&self, data_len: u32) -> Result<BigInt> {
        self.inner
            .run("minimumBalanceForRentExemption", move |rt| {
                rt.svm().minimum_balance_for_rent_exemption(data_len as usize)
            })
            .map(BigInt::from)
    }

    #[napi]
    pub fn get_account(&self, address: String) -> Result<Option<JsAccount>> {
        let key = pubkey(&address)?;
        Ok(self.inner.run("getAccount", move |rt| rt.get_account(&key))?.map(to_js))
    }

    #[napi]
    pub fn set_account(&self, address: String, account: JsAccount) -> Result<()> {
        let key = pubkey(&address)?;
        let account = Account {
            lamports: u64_of(&account.lamports, "lamports")?,
            owner: pubkey(&account.owner)?,
            data: account.data.to_vec(),
            executable: account.executable,
            rent_epoch: u64_of(&account.rent_epoch, "rentEpoch")?,
        };
        self.inner
            .run("setAccount", move |rt| rt.svm_mut().set_account(key, account).map_err(|e| e.to_string()))?
            .map_err(|e| Error::from_reason(format!("account rejected: {e}")))
    }

    #[napi]
    pub fn program_accounts(&self, owner: String) -> Result<Vec<KeyedAccount>> {
        let owner = pubkey(&owner)?;
        Ok(keyed(self.inner.run("programAccounts", move |rt| rt.program_accounts(&owner))?))
    }

    /// Executes a wire-format transaction and commits it when it succeeds. With `preflight`, a
    /// transaction that fails in simulation is refused unexecuted (its signature is not kept);
    /// without it, a failed transaction's signature is kept as processed, as on a validator.
    #[napi]
    pub fn send_transaction(&self, wire: Buffer, preflight: bool) -> Result<TxOutcome> {
        let tx = decode_transaction(&wire).map_err(Error::from_reason)?;
        Ok(outcome(self.inner.run("sendTransaction", move |rt| send_with_balances(rt, tx, preflight))?))
    }

    /// `sendTransaction` without blocking JavaScript. The transaction is queued at once, so it
    /// executes after every call made before and before every call made after.
    #[napi(ts_return_type = "Promise<TxOutcome>")]
    pub fn send_transaction_async(&self, wire: Buffer, preflight: bool) -> Result<AsyncTask<PendingSend>> {
        let tx = decode_transaction(&wire).map_err(Error::from_reason)?;
        let answer = self.inner.queue("sendTransaction", move |rt| send_with_balances(rt, tx, preflight))?;
        Ok(AsyncTask::new(PendingSend { answer }))
    }

    /// Executes a wire-format transaction without committing anything. `sigVerify = false`
    /// accepts unsigned transactions, as the RPC's simulateTransaction does by default.
    #[napi]
    pub fn simulate_transaction(&self, wire: Buffer, sig_verify: bool) -> Result<TxOutcome> {
        let tx = decode_transaction(&wire).map_err(Error::from_reason)?;
        let signature = tx.signatures.first().map(ToString::to_string).unwrap_or_default();
        let sim = self.inner.run("simulateTransaction", move |rt| rt.simulate(tx, sig_verify))?;
        Ok(TxOutcome {
            signature,
            err_json: sim.result.as_ref().err().map(error_json),
            err_message: sim.result.as_ref().err().map(ToString::to_string),
            logs: sim.logs,
            accounts: keyed(sim.accounts),
            account_keys: Vec::new(),
            pre_balances: Vec::new(),
            post_balances: Vec::new(),
        })
    }
}
