//! Same public API as `solana-invoke` 0.4.0, which Anchor 0.32 uses for every CPI.
//!
//! On chain the call is the `sol_invoke_signed_rust` syscall (through `solana-cpi`). Off chain the
//! published crate hits `unimplemented!()`; here it goes through `solana_sysvar::program_stubs`, the
//! hook a host runtime installs to execute the callee for real.

use solana_account_info::AccountInfo;
use solana_instruction::Instruction;
use solana_program_entrypoint::ProgramResult;

pub fn invoke(instruction: &Instruction, account_infos: &[AccountInfo]) -> ProgramResult {
    invoke_signed(instruction, account_infos, &[])
}

pub fn invoke_unchecked(instruction: &Instruction, account_infos: &[AccountInfo]) -> ProgramResult {
    invoke_signed_unchecked(instruction, account_infos, &[])
}

/// Checks, as the runtime would, that no account the callee may touch is currently borrowed by the
/// caller, then invokes.
pub fn invoke_signed(
    instruction: &Instruction,
    account_infos: &[AccountInfo],
    signers_seeds: &[&[&[u8]]],
) -> ProgramResult {
    for meta in &instruction.accounts {
        if let Some(info) = account_infos.iter().find(|info| *info.key == meta.pubkey) {
            if meta.is_writable {
                info.try_borrow_mut_lamports()?;
                info.try_borrow_mut_data()?;
            } else {
                info.try_borrow_lamports()?;
                info.try_borrow_data()?;
            }
        }
    }
    invoke_signed_unchecked(instruction, account_infos, signers_seeds)
}

pub fn invoke_signed_unchecked(
    instruction: &Instruction,
    account_infos: &[AccountInfo],
    signers_seeds: &[&[&[u8]]],
) -> ProgramResult {
    #[cfg(target_os = "solana")]
    {
        solana_cpi::invoke_signed_unchecked(instruction, account_infos, signers_seeds)
    }
    #[cfg(not(target_os = "solana"))]
    {
        solana_sysvar::program_stubs::sol_invoke_signed(instruction, account_infos, signers_seeds)
    }
}
