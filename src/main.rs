//! `ppe`: the command line. Parses arguments (clap) and dispatches to the domains; no logic.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ppe::cli_util::ExitClass;

#[derive(Parser)]
#[command(name = "ppe", version, about = "ППЭ exam-day appliance and РЦОИ hub", propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Hub and one box on loopback with generated data; prints the URLs of the box UI and the
    /// hub dashboard.
    Demo(ppe::demo::DemoArgs),
    /// The regional hub (РЦОИ): plans, packages, keys, uploads, dashboard.
    Hub {
        /// Hub config file.
        #[arg(long, global = true, env = "PPE_HUB_CONFIG", default_value = ppe::config::DEFAULT_HUB_CONFIG)]
        config: PathBuf,
        #[command(subcommand)]
        command: HubCommand,
    },
    /// The exam point's box (ППЭ).
    Edge {
        /// Box config file.
        #[arg(long, global = true, env = "PPE_CONFIG", default_value = ppe::config::DEFAULT_EDGE_CONFIG)]
        config: PathBuf,
        #[command(subcommand)]
        command: EdgeCommand,
    },
    /// man pages and shell completions from this command line (for the packages).
    #[command(hide = true)]
    Generate(ppe::generate::GenerateArgs),
}

#[derive(Subcommand)]
enum HubCommand {
    /// Hub keys and CA; writes DIR/hub.toml.
    Init(ppe::hub::cli::InitArgs),
    /// A box's certificate, keys and config (DIR/ppe.toml).
    Enroll(ppe::hub::cli::EnrollArgs),
    /// ГЭК members' personal credentials (enroll, list, revoke): only РЦОИ issues them.
    Gek(ppe::gek::cli::GekArgs),
    /// Import a plan: CSV (UTF-8 or Windows-1251), XLSX or JSON. All or nothing; tables absent
    /// from the file are kept; shrink, freeze date and exam day checked.
    ImportPlan(ppe::plan::cli::ImportArgs),
    /// The plan imports: who, when, which tables, changes by key, reason and letter.
    PlanLog(ppe::plan::cli::LogArgs),
    /// Export the plan; the format follows the file extension (.csv, .xlsx, .json).
    ExportPlan(ppe::plan::cli::ExportArgs),
    /// Generate a plausible, deterministic region plan.
    DemoPlan(ppe::demo::DemoPlanArgs),
    /// Encrypt and sign packages for every exam point of an exam.
    Publish(ppe::hub::cli::PublishArgs),
    /// Serve boxes (mutual TLS) and the dashboard.
    Serve(ppe::hub::cli::ServeArgs),
    /// Completion table: the dashboard in text.
    Status(ppe::monitoring::cli::StatusArgs),
    /// РЦОИ operator accounts for the dashboard (viewer, operator, admin).
    User(ppe::monitoring::cli::UserArgs),
    /// Import a bundle carried on removable media.
    Import(ppe::upload::cli::ImportArgs),
    /// Renew the hub's server certificate or a box's client certificate.
    Cert(ppe::hub::cli::CertArgs),
    /// Recompute a box's reported seating from the hub's plan and seed; exit 0 when it matches.
    VerifySeating(ppe::distribution::cli::VerifySeatingArgs),
    /// The key by phone: the code a ГЭК member types at a box that cannot reach РЦОИ.
    KeyCode(ppe::materials::phone_code::cli::HubKeyCodeArgs),
}

#[derive(Subcommand)]
enum EdgeCommand {
    /// Run the box: scheduler, web UI, devices.
    Serve(ppe::edge::serve::ServeArgs),
    /// Download ciphertext only, any time before the window.
    Prestage(ppe::materials::cli::PrestageArgs),
    /// Download and verify the ciphertext now (the key comes only at ГЭК activation).
    Pull(ppe::materials::cli::PullArgs),
    /// Seat participants and assign workers.
    Seat(ppe::seating::cli::SeatArgs),
    /// Create a local account (password from --password-file or standard input).
    Account(ppe::accounts::cli::AccountArgs),
    /// A ГЭК member obtains and activates the package key with their own key file and PIN.
    Activate(ppe::materials::cli::ActivateArgs),
    /// The key by phone: open the pre-staged key with the code dictated by РЦОИ (no network).
    KeyCode(ppe::materials::phone_code::cli::EdgeKeyCodeArgs),
    /// Assign workers to posts; replace a worker who did not come.
    Roster(ppe::roster::cli::RosterArgs),
    /// Issue kits, record attendance and exam-day events.
    Attendance(ppe::attendance::cli::AttendanceArgs),
    /// Appeals about the procedure: file (ППЭ-02), review (ППЭ-03), list.
    Appeal(ppe::appeals::cli::AppealArgs),
    /// Oral exams: queues of the conducting rooms, the ИС-9 expert's protocols.
    Oral(ppe::oral::cli::OralArgs),
    /// Print sheets, seating lists, statements.
    Print(ppe::printing::cli::PrintArgs),
    /// Take in scanned pages from a SANE device or a folder.
    Scan(ppe::scanning::cli::ScanArgs),
    /// Marks of machine-read forms waiting for a person; accept a value for a field.
    Marks(ppe::scanning::marks::cli::MarksArgs),
    /// Audio recordings and КЕГЭ answer files: import a folder, list, attach, set aside, move.
    Recordings(ppe::recordings::cli::RecordingsArgs),
    /// Upload the signed bundle; exits 0 only with a verified, signed receipt.
    Upload(ppe::upload::cli::UploadArgs),
    /// Write the signed bundle to removable media.
    Export(ppe::upload::cli::ExportArgs),
    /// Take back the hub's signed receipt that `ppe hub import` wrote onto the media.
    ImportReceipt(ppe::upload::cli::ImportArgs),
    /// What the box has and what is missing.
    Status(ppe::edge::status::StatusArgs),
    /// Validate a config and the devices it names.
    CheckConfig(ppe::check_config::CheckConfigArgs),
    /// Remove decrypted material now; personal data after retention.
    Wipe(ppe::retention::cli::WipeArgs),
    /// Technical readiness the day before: run the checks, scan the test pages back, report.
    Readiness(ppe::readiness::cli::ReadinessArgs),
}


fn main() -> ExitCode {
    let cli = Cli::parse();
    ppe::logging::init();
    let result = match cli.command {
        Command::Demo(args) => ppe::demo::run(args),
        Command::Generate(args) => ppe::generate::run(args, <Cli as clap::CommandFactory>::command()),
        Command::Hub { config, command } => match command {
            HubCommand::Init(args) => ppe::hub::cli::init(args),
            HubCommand::ImportPlan(args) => ppe::plan::cli::import(&config, args),
            HubCommand::ExportPlan(args) => ppe::plan::cli::export(&config, args),
            HubCommand::PlanLog(args) => ppe::plan::cli::log(&config, args),
            HubCommand::DemoPlan(args) => ppe::demo::demo_plan(args),
            HubCommand::Enroll(args) => ppe::hub::cli::enroll(&config, args),
            HubCommand::Gek(args) => ppe::gek::cli::gek(&config, args),
            HubCommand::KeyCode(args) => ppe::materials::phone_code::cli::hub_key_code(&config, args),
            HubCommand::Publish(args) => ppe::hub::cli::publish(&config, args),
            HubCommand::Serve(args) => ppe::hub::cli::serve(&config, args),
            HubCommand::Status(args) => ppe::monitoring::cli::status(&config, args),
            HubCommand::User(args) => ppe::monitoring::cli::user(&config, args),
            HubCommand::Import(args) => ppe::upload::cli::hub_import(&config, args),
            HubCommand::Cert(args) => ppe::hub::cli::cert(&config, args),
            HubCommand::VerifySeating(args) => ppe::distribution::cli::verify_seating(&config, args),
        },
        // A box command that fails on a full disk names the state folder to clean.
        Command::Edge { config, command } => ppe::cli_util::name_full_disk(&config, match command {
            EdgeCommand::Serve(args) => ppe::edge::serve::serve(&config, args),
            EdgeCommand::Prestage(args) => ppe::materials::cli::prestage(&config, args),
            EdgeCommand::Readiness(args) => ppe::readiness::cli::readiness(&config, args),
            EdgeCommand::Pull(args) => ppe::materials::cli::pull(&config, args),
            EdgeCommand::Seat(args) if args.is_run() => {
                ppe::distribution::cli::seat(&config, &args.exam, args.seed.as_deref(), args.max_per_room, &args.actor, args.report)
            }
            EdgeCommand::Seat(args) => ppe::seating::cli::seat(&config, args),
            EdgeCommand::Account(args) => ppe::accounts::cli::account(&config, args),
            EdgeCommand::Activate(args) => ppe::materials::cli::activate(&config, args),
            EdgeCommand::KeyCode(args) => ppe::materials::phone_code::cli::edge_key_code(&config, args),
            EdgeCommand::Roster(args) => ppe::roster::cli::roster(&config, args),
            EdgeCommand::Attendance(args) => ppe::attendance::cli::attendance(&config, args),
            EdgeCommand::Scan(args) => ppe::scanning::cli::scan(&config, args),
            EdgeCommand::Marks(args) => ppe::scanning::marks::cli::marks(&config, args),
            EdgeCommand::Recordings(args) => ppe::recordings::cli::recordings(&config, args),
            EdgeCommand::Upload(args) => ppe::upload::cli::edge_upload(&config, args),
            EdgeCommand::Export(args) => ppe::upload::cli::edge_export(&config, args),
            EdgeCommand::Appeal(args) => ppe::appeals::cli::appeal(&config, args),
            EdgeCommand::Oral(args) => ppe::oral::cli::oral(&config, args),
            EdgeCommand::ImportReceipt(args) => ppe::upload::cli::edge_import_receipt(&config, args),
            EdgeCommand::Print(args) => ppe::printing::cli::run(&config, args),
            EdgeCommand::Status(args) => ppe::edge::status::status(&config, args),
            EdgeCommand::CheckConfig(args) => ppe::check_config::run(&config, args),
            // The wipe asks the upload domain's receipt store before removing anything.
            EdgeCommand::Wipe(args) => ppe::retention::cli::wipe(&config, args, &ppe::upload::HeldReceipts),
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let class = exit_class(&err);
            // A reader that left (`ppe … | head`) wants no message; everything else is said once.
            if class != ExitClass::BrokenPipe {
                eprintln!("{}", ppe::logging::fatal_message(ppe::logging::Shape::detect(), &format!("ppe: {err:#}")));
            }
            ExitCode::from(class.code())
        }
    }
}

/// The exit status of a failed command (docs/cli.md, "Exit codes"): the classes every command
/// shares, then the domains' own "not yet" errors.
fn exit_class(err: &anyhow::Error) -> ExitClass {
    use ppe::materials::pull::PullError;
    use ppe::upload::ops::UploadOpsError;
    if let Some(class) = ppe::cli_util::common_exit_class(err) {
        return class;
    }
    let later = err.chain().any(|cause| {
        if let Some(e) = cause.downcast_ref::<PullError>() {
            return matches!(e, PullError::Network(_)) || matches!(e, PullError::Refused(r) if r.contains("window_not_open"));
        }
        if let Some(e) = cause.downcast_ref::<UploadOpsError>() {
            return match e {
                UploadOpsError::Network(_) => true,
                UploadOpsError::Refused { status, .. } => ppe::cli_util::is_try_later_status(status.as_u16()),
                UploadOpsError::File { source, .. } => match source {
                    ppe::upload::tus_client::TusError::TooManyFailures { .. } => true,
                    ppe::upload::tus_client::TusError::Refused { status, .. } => ppe::cli_util::is_try_later_status(*status),
                    _ => false,
                },
                _ => false,
            };
        }
        if let Some(e) = cause.downcast_ref::<ppe::hub_client::PlanFetchError>() {
            return match e {
                ppe::hub_client::PlanFetchError::Network(_) => true,
                ppe::hub_client::PlanFetchError::Refused(r) => ppe::cli_util::is_try_later_status(r.status),
                _ => false,
            };
        }
        if let Some(e) = cause.downcast_ref::<ppe::hub_client::DistributionCallError>() {
            return match e {
                ppe::hub_client::DistributionCallError::Network(_) => true,
                ppe::hub_client::DistributionCallError::Refused(r) => ppe::cli_util::is_try_later_status(r.status),
                _ => false,
            };
        }
        matches!(cause.downcast_ref::<ppe::printing::ops::PrintOpsError>(), Some(ppe::printing::ops::PrintOpsError::KimTooEarly { .. }))
    });
    if later {
        ExitClass::TryLater
    } else {
        ExitClass::Failure
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every option a person can see says what it does, and every command has a line of help.
    #[test]
    fn every_option_and_command_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>, total: &mut usize) {
            for arg in cmd.get_arguments() {
                if arg.is_hide_set() || ["help", "version"].contains(&arg.get_id().as_str()) {
                    continue;
                }
                *total += 1;
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} --{}", arg.get_id()));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_name() == "help" {
                    continue;
                }
                let sub_path = format!("{path} {}", sub.get_name());
                if sub.get_about().is_none() && sub.get_long_about().is_none() {
                    missing.push(format!("{sub_path} (команда без описания)"));
                }
                walk(sub, &sub_path, missing, total);
            }
        }
        let (mut missing, mut total) = (Vec::new(), 0);
        walk(&super::Cli::command(), "ppe", &mut missing, &mut total);
        assert!(total > 100, "the walk sees the options ({total})");
        assert!(missing.is_empty(), "{} of {total} without help:\n{}", missing.len(), missing.join("\n"));
    }

    #[test]
    fn the_command_tree_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
