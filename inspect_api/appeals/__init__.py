"""Appeals (#17): a branch manager disputes a released result or one item; QA accepts (a corrected
revision) or rejects; the manager may withdraw. See service.py."""
