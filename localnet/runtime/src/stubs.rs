//! The syscalls a host-compiled program makes, served from the InvokeContext of the instruction that
//! is running on this thread, so their effects land in the transaction exactly as on a validator.

use solana_account_info::AccountInfo;
use solana_instruction::error::InstructionError;
use solana_instruction::Instruction;
use solana_program_entrypoint::{ProgramResult, SUCCESS};
use solana_program_error::ProgramError;
use solana_program_runtime::invoke_context::InvokeContext;
use solana_program_runtime::solana_sbpf::vm::ContextObject;
use solana_program_runtime::stable_log;
use solana_pubkey::Pubkey;
use solana_stable_layout::stable_instruction::StableInstruction;
use solana_sysvar::program_stubs::{set_syscall_stubs, SyscallStubs};
use solana_timings::ExecuteTimings;

use crate::native::{record_cpi_failure, with_invoke_context};

const UNSUPPORTED_SYSVAR: u64 = solana_instruction::error::UNSUPPORTED_SYSVAR;

/// Installs the stubs and the `msg!` hook once per process. Both are stateless: every call finds
/// its transaction through the current thread, so runtimes on several threads do not interfere.
pub(crate) fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        set_syscall_stubs(Box::new(RuntimeStubs));
        solana_msg::set_log_hook(log_message);
    });
}

fn log_message(message: &str) {
    if with_invoke_context(|ic| stable_log::program_log(&ic.get_log_collector(), message)).is_none() {
        println!("{message}");
    }
}

/// Appends a raw line (no `Program log:` prefix) to the running transaction's log.
pub(crate) fn log_line(ic: &InvokeContext, line: &str) {
    if let Some(collector) = ic.get_log_collector() {
        collector.borrow_mut().log(line);
    }
}

struct RuntimeStubs;

impl RuntimeStubs {
    fn copy_sysvar<T: Clone>(var_addr: *mut u8, get: impl FnOnce(&InvokeContext) -> Option<T>) -> u64 {
        match with_invoke_context(|ic| get(ic)).flatten() {
            Some(value) => {
                // SAFETY: the program passes a pointer to room for a `T` (the `Sysvar::get` contract).
                unsafe { std::ptr::write_unaligned(var_addr as *mut T, value) };
                SUCCESS
            }
            None => UNSUPPORTED_SYSVAR,
        }
    }
}

impl SyscallStubs for RuntimeStubs {
    fn sol_log(&self, message: &str) {
        log_message(message);
    }

    fn sol_log_data(&self, fields: &[&[u8]]) {
        if with_invoke_context(|ic| stable_log::program_data(&ic.get_log_collector(), fields)).is_none() {
            println!("data: {} fields", fields.len());
        }
    }

    fn sol_log_compute_units(&self) {
        log_message("compute units are not metered by the native runtime");
    }

    fn sol_remaining_compute_units(&self) -> u64 {
        with_invoke_context(|ic| ic.get_remaining()).unwrap_or(0)
    }

    fn sol_invoke_signed(
        &self,
        instruction: &Instruction,
        account_infos: &[AccountInfo],
        signers_seeds: &[&[&[u8]]],
    ) -> ProgramResult {
        with_invoke_context(|ic| invoke_signed(ic, instruction, account_infos, signers_seeds))
            .unwrap_or(Err(ProgramError::UnsupportedSysvar))
    }

    fn sol_get_sysvar(&self, sysvar_id_addr: *const u8, var_addr: *mut u8, offset: u64, length: u64) -> u64 {
        // SAFETY: the program passes a pointer to a 32-byte sysvar id and a buffer of `length` bytes.
        let id = unsafe { *(sysvar_id_addr as *const Pubkey) };
        let found = with_invoke_context(|ic| {
            let cache = ic.get_sysvar_cache();
            let bytes = cache.sysvar_id_to_buffer(&id).as_ref()?;
            let start = usize::try_from(offset).ok()?;
            let end = start.checked_add(usize::try_from(length).ok()?)?;
            bytes.get(start..end).map(<[u8]>::to_vec)
        })
        .flatten();
        match found {
            Some(bytes) => {
                // SAFETY: see above; `bytes.len() == length`.
                unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), var_addr, bytes.len()) };
                SUCCESS
            }
            None => UNSUPPORTED_SYSVAR,
        }
    }

    fn sol_get_clock_sysvar(&self, var_addr: *mut u8) -> u64 {
        Self::copy_sysvar(var_addr, |ic| ic.get_sysvar_cache().get_clock().ok().map(|c| (*c).clone()))
    }

    fn sol_get_rent_sysvar(&self, var_addr: *mut u8) -> u64 {
        Self::copy_sysvar(var_addr, |ic| ic.get_sysvar_cache().get_rent().ok().map(|r| (*r).clone()))
    }

    fn sol_get_epoch_schedule_sysvar(&self, var_addr: *mut u8) -> u64 {
        Self::copy_sysvar(var_addr, |ic| ic.get_sysvar_cache().get_epoch_schedule().ok().map(|e| (*e).clone()))
    }

    fn sol_get_epoch_rewards_sysvar(&self, var_addr: *mut u8) -> u64 {
        Self::copy_sysvar(var_addr, |ic| ic.get_sysvar_cache().get_epoch_rewards().ok().map(|e| (*e).clone()))
    }

    fn sol_get_last_restart_slot(&self, var_addr: *mut u8) -> u64 {
        Self::copy_sysvar(var_addr, |ic| ic.get_sysvar_cache().get_last_restart_slot().ok().map(|s| (*s).clone()))
    }

    fn sol_get_return_data(&self) -> Option<(Pubkey, Vec<u8>)> {
        with_invoke_context(|ic| {
            let (program_id, data) = ic.transaction_context.get_return_data();
            (!data.is_empty()).then(|| (*program_id, data.to_vec()))
        })
        .flatten()
    }

    fn sol_set_return_data(&self, data: &[u8]) {
        with_invoke_context(|ic| {
            let tc = &mut ic.transaction_context;
            let program_id = tc.get_current_instruction_context().and_then(|ctx| ctx.get_last_program_key(tc).copied());
            if let Ok(program_id) = program_id {
                let _ = tc.set_return_data(program_id, data.to_vec());
            }
        });
    }

    fn sol_get_stack_height(&self) -> u64 {
        with_invoke_context(|ic| ic.get_stack_height() as u64).unwrap_or(0)
    }
}

/// A cross-program invocation: push the caller's view of each account into the transaction, run the
/// callee for real, then copy what the callee changed back into the caller's `AccountInfo`s.
fn invoke_signed(
    ic: &mut InvokeContext,
    instruction: &Instruction,
    account_infos: &[AccountInfo],
    signers_seeds: &[&[&[u8]]],
) -> ProgramResult {
    match try_invoke_signed(ic, instruction, account_infos, signers_seeds) {
        Ok(()) => Ok(()),
        Err(err) => {
            let program_error = ProgramError::try_from(err.clone()).unwrap_or(ProgramError::Custom(0));
            record_cpi_failure(err);
            Err(program_error)
        }
    }
}

fn try_invoke_signed(
    ic: &mut InvokeContext,
    instruction: &Instruction,
    account_infos: &[AccountInfo],
    signers_seeds: &[&[&[u8]]],
) -> Result<(), InstructionError> {
    let caller = {
        let tc = &ic.transaction_context;
        *tc.get_current_instruction_context()?.get_last_program_key(tc)?
    };
    let signers = signers_seeds
        .iter()
        .map(|seeds| Pubkey::create_program_address(seeds, &caller))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| InstructionError::InvalidSeeds)?;

    let stable = StableInstruction::from(instruction.clone());
    let (instruction_accounts, program_indices) = ic.prepare_instruction(&stable, &signers)?;

    // Caller → transaction: the callee must see what the caller wrote so far.
    let mut writable = Vec::new();
    {
        let tc = &ic.transaction_context;
        let caller_ctx = tc.get_current_instruction_context()?;
        for account in &instruction_accounts {
            let key = tc.get_key_of_account_at_index(account.index_in_transaction)?;
            let info_index =
                account_infos.iter().position(|info| info.key == key).ok_or(InstructionError::MissingAccount)?;
            let info = &account_infos[info_index];
            let mut borrowed = caller_ctx.try_borrow_instruction_account(tc, account.index_in_caller)?;
            if borrowed.get_lamports() != info.lamports() {
                borrowed.set_lamports(info.lamports())?;
            }
            let data = info.try_borrow_data().map_err(|_| InstructionError::AccountBorrowFailed)?;
            if borrowed.get_data() != &data[..] {
                borrowed.set_data_from_slice(&data)?;
            }
            if borrowed.get_owner() != info.owner {
                borrowed.set_owner(info.owner.as_ref())?;
            }
            if account.is_writable {
                writable.push((account.index_in_caller, info_index));
            }
        }
    }

    let mut units = 0;
    ic.process_instruction(
        &instruction.data,
        &instruction_accounts,
        &program_indices,
        &mut units,
        &mut ExecuteTimings::default(),
    )?;

    // Transaction → caller: lamports, owner and (possibly resized) data of every writable account.
    let tc = &ic.transaction_context;
    let caller_ctx = tc.get_current_instruction_context()?;
    for (index_in_caller, info_index) in writable {
        let borrowed = caller_ctx.try_borrow_instruction_account(tc, index_in_caller)?;
        let info = &account_infos[info_index];
        **info.try_borrow_mut_lamports().map_err(|_| InstructionError::AccountBorrowFailed)? = borrowed.get_lamports();
        if info.owner != borrowed.get_owner() {
            // `owner` points into the serialized parameter buffer; the SBF runtime updates the
            // same bytes in place after a CPI.
            info.assign(borrowed.get_owner());
        }
        let new_data = borrowed.get_data();
        if info.data_len() != new_data.len() {
            info.resize(new_data.len()).map_err(|_| InstructionError::InvalidRealloc)?;
        }
        info.try_borrow_mut_data().map_err(|_| InstructionError::AccountBorrowFailed)?.copy_from_slice(new_data);
    }
    Ok(())
}
