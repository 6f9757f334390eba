-- An ended enrolment withdraws its open request to the company: found by the enrolment.
CREATE INDEX commitments_enrolment ON commitments (enrolment_id) WHERE status = 'pending';
