//! Executes a host-compiled program as a LiteSVM builtin, the way the SBF loader executes an ELF:
//! the accounts are serialized into the loader's input buffer, the program's own entrypoint
//! deserializer turns that buffer into `AccountInfo`s, and after the call the loader's
//! `deserialize_parameters` writes lamports, owner and (resized) data back with the loader's checks.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::RwLock;

use solana_account_info::AccountInfo;
use solana_instruction::error::InstructionError;
use solana_program_entrypoint::ProgramResult;
use solana_program_runtime::invoke_context::InvokeContext;
use solana_program_runtime::serialization::{deserialize_parameters, serialize_parameters};
use solana_pubkey::Pubkey;

/// A program's processor with fully independent lifetimes. Anchor's generated `entry` ties the slice
/// and `AccountInfo` lifetimes together; wrap it with [`native_entry!`].
pub type ProgramEntry = fn(&Pubkey, &[AccountInfo], &[u8]) -> ProgramResult;

/// Wraps a processor such as Anchor's `entry<'info>(&Pubkey, &'info [AccountInfo<'info>], &[u8])`
/// into a [`ProgramEntry`].
#[macro_export]
macro_rules! native_entry {
    ($entry:path) => {{
        fn __native_entry(
            program_id: &$crate::Pubkey,
            accounts: &[$crate::AccountInfo],
            data: &[u8],
        ) -> $crate::ProgramResult {
            // SAFETY: the infos and the buffer they point into outlive the call; the transmute only
            // unifies the lifetimes the processor's signature names.
            let accounts: &[$crate::AccountInfo] = unsafe { std::mem::transmute(accounts) };
            $entry(program_id, accounts, data)
        }
        __native_entry as $crate::ProgramEntry
    }};
}

static PROGRAMS: RwLock<Option<HashMap<Pubkey, ProgramEntry>>> = RwLock::new(None);

/// Makes `entry` the processor of `program_id` in every runtime of this process.
pub(crate) fn register(program_id: Pubkey, entry: ProgramEntry) {
    PROGRAMS.write().unwrap().get_or_insert_with(HashMap::new).insert(program_id, entry);
}

fn lookup(program_id: &Pubkey) -> Option<ProgramEntry> {
    PROGRAMS.read().unwrap().as_ref()?.get(program_id).copied()
}

thread_local! {
    /// The InvokeContext of the native instruction running on this thread (innermost first on top).
    static CONTEXTS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    /// The exact error of a failed CPI. A validator aborts the transaction with it; natively the
    /// caller sees a `ProgramError`, so the builtin reports this one instead when it is set.
    static CPI_FAILURE: Cell<Option<InstructionError>> = const { Cell::new(None) };
}

/// Runs `f` with the InvokeContext of the native instruction executing on this thread, if any.
pub(crate) fn with_invoke_context<R>(f: impl FnOnce(&mut InvokeContext) -> R) -> Option<R> {
    let ptr = CONTEXTS.with(|c| c.borrow().last().copied())?;
    // SAFETY: the pointer was pushed by `process` for the duration of the program call on this
    // thread and is popped before `process` returns; nothing else holds it mutably meanwhile
    // (the program only reaches the context through these stubs, one at a time).
    let ic = unsafe { &mut *(ptr as *mut InvokeContext) };
    Some(f(ic))
}

pub(crate) fn record_cpi_failure(err: InstructionError) {
    CPI_FAILURE.with(|c| {
        let first = c.take().unwrap_or(err);
        c.set(Some(first));
    });
}

struct ContextGuard;

impl ContextGuard {
    fn push(ic: &mut InvokeContext) -> Self {
        CONTEXTS.with(|c| c.borrow_mut().push(ic as *mut InvokeContext as *mut u8 as usize));
        ContextGuard
    }
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        CONTEXTS.with(|c| c.borrow_mut().pop());
    }
}

solana_program_runtime::declare_process_instruction!(NativeProgram, 1, |invoke_context| { process(invoke_context) });

pub(crate) use NativeProgram as Builtin;

fn process(invoke_context: &mut InvokeContext) -> Result<(), InstructionError> {
    let transaction_context = &invoke_context.transaction_context;
    let instruction_context = transaction_context.get_current_instruction_context()?;
    let program_id = *instruction_context.get_last_program_key(transaction_context)?;
    let entry = lookup(&program_id).ok_or(InstructionError::UnsupportedProgramId)?;

    let mask_rent_epoch = invoke_context.get_feature_set().mask_out_rent_epoch_in_vm_serialization;
    let (mut buffer, _regions, accounts_metadata) =
        serialize_parameters(transaction_context, instruction_context, true, mask_rent_epoch)?;

    let outcome = {
        let _guard = ContextGuard::push(invoke_context);
        let input = buffer.as_slice_mut().as_mut_ptr();
        catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: `input` is a loader-format parameter buffer that outlives the call.
            let (program_id, accounts, data) = unsafe { solana_program_entrypoint::deserialize(input) };
            entry(program_id, &accounts, data)
        }))
    };
    let cpi_failure = CPI_FAILURE.with(|c| c.take());

    match outcome {
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown panic");
            crate::stubs::log_line(invoke_context, &format!("Program panicked: {message}"));
            Err(InstructionError::ProgramFailedToComplete)
        }
        Ok(_) if cpi_failure.is_some() => Err(cpi_failure.unwrap()),
        Ok(Err(program_error)) => Err(InstructionError::from(u64::from(program_error))),
        Ok(Ok(())) => {
            let transaction_context = &invoke_context.transaction_context;
            let instruction_context = transaction_context.get_current_instruction_context()?;
            deserialize_parameters(
                transaction_context,
                instruction_context,
                true,
                buffer.as_slice(),
                &accounts_metadata,
            )
        }
    }
}
