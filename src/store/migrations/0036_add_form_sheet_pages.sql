-- Every printed form carries sheet codes (issue 17 item 2). The printed-forms record names
-- each copy (its auditorium, or the participant of an act) and the page each number took;
-- a scanned page of a form keeps the form, copy and page it was matched to.
-- Holder keys are `form:<ФОРМА>[:<auditorium or participant>]`; the `statement:` keys of the
-- machine-read forms printed before are renamed, so their reprints keep their numbers.
ALTER TABLE statement_sheet ADD COLUMN auditorium TEXT;
ALTER TABLE statement_sheet ADD COLUMN participant_id TEXT;
ALTER TABLE statement_sheet ADD COLUMN page INTEGER NOT NULL DEFAULT 1;
ALTER TABLE statement_sheet ADD COLUMN pages INTEGER NOT NULL DEFAULT 1;

UPDATE kit_sheet SET participant_id = 'form:' || substr(participant_id, 11) WHERE participant_id LIKE 'statement:%';
UPDATE statement_sheet SET holder = 'form:' || substr(holder, 11) WHERE holder LIKE 'statement:%';
UPDATE statement_sheet SET auditorium = substr(holder, 20) WHERE holder LIKE 'form:ППЭ-12-04-МАШ:%';
UPDATE statement_sheet SET
    page = (SELECT COUNT(*) FROM statement_sheet s WHERE s.exam_id = statement_sheet.exam_id AND s.ppe_code = statement_sheet.ppe_code
            AND s.holder = statement_sheet.holder AND s.number <= statement_sheet.number),
    pages = (SELECT COUNT(*) FROM statement_sheet s WHERE s.exam_id = statement_sheet.exam_id AND s.ppe_code = statement_sheet.ppe_code
             AND s.holder = statement_sheet.holder);

ALTER TABLE scanned_page ADD COLUMN form TEXT;
ALTER TABLE scanned_page ADD COLUMN auditorium TEXT;
ALTER TABLE scanned_page ADD COLUMN form_page INTEGER;
ALTER TABLE scanned_page ADD COLUMN form_pages INTEGER;
