# The MEGC2019 3DB sample table (docs/datasets.md, "MEGC2019 composite 3DB";
# identical in HTNet's combined_3_class2_for_optical_flow.csv and MEB's
# notebooks), read by tools/analysis/check_dataset.py from composite_3db.py /
# flow_folder_3db.py.
# Subject ids are mmmer's namespaced ones (HTNet's s01 -> smic_s1).
expected_counts = dict(
    total=442,
    per_class=dict(negative=250, positive=109, surprise=83),
    num_subjects=68,
    per_dataset=dict(
        smic=dict(total=164, num_subjects=16,
                  per_class=dict(negative=70, positive=51, surprise=43)),
        casme2=dict(total=145, num_subjects=24,
                    per_class=dict(negative=88, positive=32, surprise=25)),
        samm=dict(total=133, num_subjects=28,
                  per_class=dict(negative=92, positive=26, surprise=15))),
    per_subject=dict(
        smic_s1=6, smic_s2=6, smic_s3=39, smic_s4=19, smic_s5=2, smic_s6=4, smic_s8=13,
        smic_s9=4, smic_s11=7, smic_s12=9, smic_s13=10, smic_s14=10, smic_s15=4,
        smic_s18=7, smic_s19=2, smic_s20=22, casme2_sub01=3, casme2_sub02=9,
        casme2_sub03=5, casme2_sub04=2, casme2_sub05=6, casme2_sub06=4, casme2_sub07=5,
        casme2_sub08=1, casme2_sub09=10, casme2_sub11=4, casme2_sub12=11,
        casme2_sub13=2, casme2_sub14=3, casme2_sub15=3, casme2_sub16=3, casme2_sub17=31,
        casme2_sub19=11, casme2_sub20=2, casme2_sub21=1, casme2_sub22=2, casme2_sub23=8,
        casme2_sub24=3, casme2_sub25=5, casme2_sub26=11, samm_006=11, samm_007=8,
        samm_009=4, samm_010=4, samm_011=20, samm_012=3, samm_013=6, samm_014=10,
        samm_015=3, samm_016=5, samm_017=4, samm_018=3, samm_019=1, samm_020=4,
        samm_021=2, samm_022=5, samm_023=1, samm_024=1, samm_026=9, samm_028=3,
        samm_030=3, samm_031=1, samm_032=4, samm_033=5, samm_034=3, samm_035=8,
        samm_036=1, samm_037=1,
    ))
