-- Oral and computer exams (issue 18): each exam's technology (empty: the default of its kind
-- and subject) and each auditorium's kind in oral and computer exams (empty: from `oral`).
ALTER TABLE exam ADD COLUMN technology TEXT NOT NULL DEFAULT '';
ALTER TABLE auditorium ADD COLUMN room_kind TEXT NOT NULL DEFAULT '';
