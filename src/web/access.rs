//! Who may see and do what in the box's UI (DESIGN.md §4): one table of routes with the action
//! each needs, and one pure function from (role, action) to yes or no. Every handler asks it;
//! the role-matrix test walks the same table, so a route cannot be added unchecked.

use crate::model::WorkerRole;

/// The UI's roles, from the account's worker role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// технический специалист: runs the box (materials, printing, scanning, upload, accounts).
    Tech,
    /// руководитель ППЭ: seating, roster, attendance, printing lists and statements.
    Head,
    /// член ГЭК: activates the materials, witnesses removals, sees everything.
    Gek,
    /// организатор: attendance and events in the auditorium.
    Organizer,
    /// ассистент: the timeline only.
    Assistant,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Tech, Role::Head, Role::Gek, Role::Organizer, Role::Assistant];

    pub fn of(w: WorkerRole) -> Role {
        match w {
            WorkerRole::TechSpecialist => Role::Tech,
            WorkerRole::Head => Role::Head,
            WorkerRole::GekMember => Role::Gek,
            WorkerRole::OrganizerInRoom | WorkerRole::OrganizerOutside => Role::Organizer,
            // Least privilege until their own pages exist: the timeline only.
            WorkerRole::Assistant
            | WorkerRole::Medical
            | WorkerRole::Examiner
            | WorkerRole::Expert
            | WorkerRole::LabSpecialist
            | WorkerRole::VideoTechnician => Role::Assistant,
        }
    }

    /// A worker role that maps to this UI role (for creating accounts in tests and setup).
    pub fn worker_role(self) -> WorkerRole {
        match self {
            Role::Tech => WorkerRole::TechSpecialist,
            Role::Head => WorkerRole::Head,
            Role::Gek => WorkerRole::GekMember,
            Role::Organizer => WorkerRole::OrganizerInRoom,
            Role::Assistant => WorkerRole::Assistant,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ViewHome,
    ViewMaterials,
    PullMaterials,
    ActivateMaterials,
    ViewSeating,
    ChangeSeating,
    ViewRoster,
    ChangeRoster,
    ViewAttendance,
    RecordAttendance,
    ViewPrint,
    Print,
    ViewScanning,
    Scan,
    ViewUpload,
    Upload,
    ViewAudit,
    UseDesk,
    ManageAccounts,
}

/// The rule. Organizers mark attendance but neither print nor change seating or the roster;
/// only the technical specialist touches materials, the scanner, the upload and accounts; only
/// a member of ГЭК activates the materials (the two-person rule: the specialist pulls).
pub fn allowed(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match action {
        ViewHome => true,
        ViewMaterials | ViewUpload | ViewAudit | ViewRoster => matches!(role, Tech | Head | Gek),
        PullMaterials | Scan | Upload | ManageAccounts => role == Tech,
        ActivateMaterials => role == Gek,
        ViewSeating | ViewAttendance => matches!(role, Tech | Head | Gek | Organizer),
        ChangeSeating | ChangeRoster | ViewPrint | Print | UseDesk => matches!(role, Tech | Head),
        ViewScanning => matches!(role, Tech | Head),
        RecordAttendance => matches!(role, Tech | Head | Gek | Organizer),
    }
}

pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub action: Action,
}

const fn get(path: &'static str, action: Action) -> Route {
    Route { method: "GET", path, action }
}
const fn post(path: &'static str, action: Action) -> Route {
    Route { method: "POST", path, action }
}

/// Every route behind a login, with the action it needs.
pub const ROUTES: &[Route] = &[
    get("/", Action::ViewHome),
    post("/logout", Action::ViewHome),
    get("/materials", Action::ViewMaterials),
    post("/materials/pull", Action::PullMaterials),
    post("/materials/activate", Action::ActivateMaterials),
    post("/materials/activate/security-key/start", Action::ActivateMaterials),
    post("/materials/activate/security-key/finish", Action::ActivateMaterials),
    get("/seating", Action::ViewSeating),
    post("/seating/run", Action::ChangeSeating),
    post("/seating/move", Action::ChangeSeating),
    post("/seating/close", Action::ChangeSeating),
    get("/roster", Action::ViewRoster),
    post("/roster/assign", Action::ChangeRoster),
    post("/roster/replace", Action::ChangeRoster),
    get("/attendance", Action::ViewAttendance),
    post("/attendance/kits", Action::ChangeSeating),
    post("/attendance/event", Action::RecordAttendance),
    get("/print", Action::ViewPrint),
    post("/print/run", Action::Print),
    post("/print/act", Action::Print),
    post("/print/confirm", Action::Print),
    post("/print/reprint", Action::Print),
    get("/scanning", Action::ViewScanning),
    get("/scanning/page", Action::ViewScanning),
    post("/scanning/intake", Action::Scan),
    post("/scanning/assign", Action::Scan),
    post("/scanning/marks", Action::Scan),
    get("/upload", Action::ViewUpload),
    post("/upload/start", Action::Upload),
    get("/audit", Action::ViewAudit),
    get("/desk", Action::UseDesk),
    get("/desk/events", Action::UseDesk),
    post("/desk/select", Action::UseDesk),
    get("/accounts", Action::ManageAccounts),
    post("/accounts/create", Action::ManageAccounts),
];

/// The action a route needs (`None`: not a login-protected route).
pub fn action_of(method: &str, path: &str) -> Option<Action> {
    ROUTES.iter().find(|r| r.method == method && r.path == path).map(|r| r.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organizers_mark_attendance_but_do_not_print_or_change_the_roster() {
        assert!(allowed(Role::Organizer, Action::RecordAttendance));
        assert!(!allowed(Role::Organizer, Action::Print));
        assert!(!allowed(Role::Organizer, Action::ChangeRoster));
        assert!(!allowed(Role::Organizer, Action::PullMaterials));
    }

    #[test]
    fn two_person_rule_pull_by_the_specialist_activation_by_gek() {
        assert!(allowed(Role::Tech, Action::PullMaterials) && !allowed(Role::Tech, Action::ActivateMaterials));
        assert!(allowed(Role::Gek, Action::ActivateMaterials) && !allowed(Role::Gek, Action::PullMaterials));
    }

    #[test]
    fn every_route_is_unique_and_somebody_may_use_it() {
        for (i, r) in ROUTES.iter().enumerate() {
            assert!(ROUTES[..i].iter().all(|o| (o.method, o.path) != (r.method, r.path)), "{} {} twice", r.method, r.path);
            assert!(Role::ALL.iter().any(|&role| allowed(role, r.action)), "{} {} is usable by nobody", r.method, r.path);
        }
    }
}
