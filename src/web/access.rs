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
    /// экзаменатор-собеседник: the queue of the conducting room(s) they are posted to.
    Examiner,
    /// эксперт: the queue of their conducting room and its participants' protocols.
    Expert,
}

impl Role {
    pub const ALL: [Role; 7] = [Role::Tech, Role::Head, Role::Gek, Role::Organizer, Role::Assistant, Role::Examiner, Role::Expert];

    pub fn of(w: WorkerRole) -> Role {
        match w {
            WorkerRole::TechSpecialist => Role::Tech,
            WorkerRole::Head => Role::Head,
            WorkerRole::GekMember => Role::Gek,
            WorkerRole::OrganizerInRoom | WorkerRole::OrganizerOutside => Role::Organizer,
            WorkerRole::Examiner => Role::Examiner,
            WorkerRole::Expert => Role::Expert,
            // Least privilege until their own pages exist: the timeline only.
            WorkerRole::Assistant | WorkerRole::Medical | WorkerRole::LabSpecialist | WorkerRole::VideoTechnician => Role::Assistant,
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
            Role::Examiner => WorkerRole::Examiner,
            Role::Expert => WorkerRole::Expert,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ViewHome,
    ViewMaterials,
    PullMaterials,
    ActivateMaterials,
    /// The key by phone: the code РЦОИ dictates, typed by the ГЭК member or the head.
    TypePhoneCode,
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
    /// The queues of an oral exam (which rooms: [`oral_room_rights`]).
    ViewOral,
    RunOralQueue,
    /// The ИС-9 expert's protocols, read-only for the point's staff.
    ViewProtocols,
    ScoreOral,
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
        TypePhoneCode => matches!(role, Gek | Head),
        ViewSeating | ViewAttendance => matches!(role, Tech | Head | Gek | Organizer),
        ChangeSeating | ChangeRoster | ViewPrint | Print | UseDesk => matches!(role, Tech | Head),
        ViewScanning => matches!(role, Tech | Head),
        RecordAttendance => matches!(role, Tech | Head | Gek | Organizer),
        ViewOral => !matches!(role, Assistant),
        RunOralQueue => matches!(role, Tech | Head | Organizer | Examiner | Expert),
        ViewProtocols => matches!(role, Tech | Head | Gek | Expert),
        ScoreOral => role == Expert,
    }
}

/// What a person may do in one conducting (recording) room of an oral exam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoomRights {
    /// See the room's queue (and its protocols, for the roles that see protocols).
    pub view: bool,
    /// Start, finish, mark absent or late, move to another room's queue.
    pub run: bool,
    /// Enter the protocols of the room's participants (ИС-9 only).
    pub score: bool,
}

/// The person asking, as the plan and the roster of the exam know them.
#[derive(Debug, Clone, Copy)]
pub struct OralStaff<'a> {
    pub role: Role,
    pub worker_id: &'a str,
    /// The plan assigns the worker to this point on the exam's date (with the account's role).
    pub assigned_today: bool,
}

/// The rule of the oral pages, asked on every request (the roster and the plan may change
/// after login): the head and the technical specialist run every room's queue, a ГЭК member
/// sees them; a собеседник runs the room(s) the roster posts them to on the exam's date, an
/// expert too and enters its protocols; organizers run a recording room («Говорение») they
/// are posted to and see the queues of an exam they are posted to (the waiting room calls the
/// next); nobody else sees anything.
pub fn oral_room_rights(who: OralStaff<'_>, technology: crate::model::Technology, roster: &[crate::roster::RosterEntry], room: &str) -> RoomRights {
    use crate::model::Technology;
    use crate::roster::Post;
    let mine = |want: &dyn Fn(&Post) -> bool| who.assigned_today && roster.iter().any(|e| e.worker_id == who.worker_id && want(&e.post));
    let all = RoomRights { view: true, run: true, score: false };
    match who.role {
        Role::Tech | Role::Head => all,
        Role::Gek => RoomRights { view: true, ..Default::default() },
        Role::Examiner if mine(&|p| matches!(p, Post::Examiner { auditorium } if auditorium == room)) => all,
        Role::Expert if mine(&|p| matches!(p, Post::Expert { auditorium } if auditorium == room)) => {
            RoomRights { score: technology == Technology::OralInterview, ..all }
        }
        Role::Organizer
            if technology == Technology::OralRecorded && mine(&|p| matches!(p, Post::InRoom { auditorium, .. } if auditorium == room)) =>
        {
            all
        }
        Role::Organizer if mine(&|p| matches!(p, Post::InRoom { .. } | Post::Outside { .. })) => RoomRights { view: true, ..Default::default() },
        Role::Examiner | Role::Expert | Role::Organizer | Role::Assistant => RoomRights::default(),
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
    get("/materials/phone", Action::TypePhoneCode),
    post("/materials/phone", Action::TypePhoneCode),
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
    get("/oral", Action::ViewOral),
    post("/oral/build", Action::ChangeSeating),
    post("/oral/step", Action::RunOralQueue),
    post("/oral/move", Action::RunOralQueue),
    get("/oral/protocols", Action::ViewProtocols),
    post("/oral/score", Action::ScoreOral),
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
    fn examiners_and_experts_have_their_own_roles_and_see_no_seating_printing_materials_or_accounts() {
        use crate::model::WorkerRole;
        assert_eq!((Role::of(WorkerRole::Examiner), Role::of(WorkerRole::Expert)), (Role::Examiner, Role::Expert));
        for role in [Role::Examiner, Role::Expert] {
            assert_eq!(Role::of(role.worker_role()), role);
            assert!(allowed(role, Action::ViewOral) && allowed(role, Action::RunOralQueue));
            for a in [
                Action::ViewSeating,
                Action::ViewPrint,
                Action::Print,
                Action::ViewMaterials,
                Action::ManageAccounts,
                Action::ViewAttendance,
                Action::ViewRoster,
            ] {
                assert!(!allowed(role, a), "{role:?} {a:?}");
            }
        }
        assert!(allowed(Role::Expert, Action::ScoreOral) && allowed(Role::Expert, Action::ViewProtocols));
        for role in [Role::Examiner, Role::Organizer, Role::Assistant, Role::Tech, Role::Head, Role::Gek] {
            assert!(!allowed(role, Action::ScoreOral), "only an expert enters a protocol, not {role:?}");
        }
        assert!(!allowed(Role::Organizer, Action::ViewProtocols) && !allowed(Role::Assistant, Action::ViewProtocols));
        assert!(!allowed(Role::Assistant, Action::ViewOral) && !allowed(Role::Gek, Action::RunOralQueue));
    }

    fn entry(worker: &str, post: crate::roster::Post) -> crate::roster::RosterEntry {
        crate::roster::RosterEntry { worker_id: worker.into(), post }
    }

    #[test]
    fn a_room_is_run_by_the_workers_the_roster_posts_there_on_the_day() {
        use crate::model::Technology::{OralInterview, OralRecorded};
        use crate::roster::Post;
        let roster = [
            entry("W1", Post::Examiner { auditorium: "102".into() }),
            entry("W2", Post::Expert { auditorium: "102".into() }),
            entry("W3", Post::InRoom { auditorium: "102".into(), responsible: true }),
        ];
        let who = |role, worker_id, assigned_today| OralStaff { role, worker_id, assigned_today };
        let rights = |w: OralStaff<'_>, tech, room| oral_room_rights(w, tech, &roster, room);
        let all = RoomRights { view: true, run: true, score: false };
        // Holds: the собеседник and the expert of room 102, the expert scoring there.
        assert_eq!(rights(who(Role::Examiner, "W1", true), OralInterview, "102"), all);
        assert_eq!(rights(who(Role::Expert, "W2", true), OralInterview, "102"), RoomRights { score: true, ..all });
        // Refused: another room, not assigned to the point that day, another worker's post.
        assert_eq!(rights(who(Role::Examiner, "W1", true), OralInterview, "103"), RoomRights::default());
        assert_eq!(rights(who(Role::Expert, "W2", false), OralInterview, "102"), RoomRights::default());
        assert_eq!(rights(who(Role::Expert, "W1", true), OralInterview, "102"), RoomRights::default(), "W1 is the собеседник, not the expert");
        // No protocols outside ИС-9.
        assert!(!rights(who(Role::Expert, "W2", true), OralRecorded, "102").score);
        // Organizers run a recording room they are posted to; in ИС-9 they only see the queues.
        assert_eq!(rights(who(Role::Organizer, "W3", true), OralRecorded, "102"), all);
        assert_eq!(rights(who(Role::Organizer, "W3", true), OralInterview, "102"), RoomRights { view: true, ..Default::default() });
        assert_eq!(rights(who(Role::Organizer, "W9", true), OralRecorded, "102"), RoomRights::default());
        // The point's operators run every room; ГЭК sees; an assistant sees nothing.
        assert_eq!(rights(who(Role::Head, "W8", false), OralInterview, "103"), all);
        assert_eq!(rights(who(Role::Gek, "W8", true), OralInterview, "103"), RoomRights { view: true, ..Default::default() });
        assert_eq!(rights(who(Role::Assistant, "W3", true), OralRecorded, "102"), RoomRights::default());
    }

    #[test]
    fn every_route_is_unique_and_somebody_may_use_it() {
        for (i, r) in ROUTES.iter().enumerate() {
            assert!(ROUTES[..i].iter().all(|o| (o.method, o.path) != (r.method, r.path)), "{} {} twice", r.method, r.path);
            assert!(Role::ALL.iter().any(|&role| allowed(role, r.action)), "{} {} is usable by nobody", r.method, r.path);
        }
    }
}
