#pragma once
// WebCaricature's evaluation protocols, read from <root>/EvaluationProtocols/:
//  FaceVerification/Restricted/RestrictedView1_Dev{Train,Test}.txt, RestrictedView2.txt
//    "N" then N matched lines "Name<TAB>C00001<TAB>P00001" and N mismatched lines
//    "NameA<TAB>C00039<TAB>NameB<TAB>P00006" (View 2: ten such blocks).
//  FaceVerification/UnRestricted/UnRestrictedView1_Dev{Train,Test}.txt, UnRestrictedView2.txt
//    "N" then N subject lines "Name<TAB>#caricatures<TAB>#photos" (View 2: ten blocks); the
//    test pairs are every caricature-photo pair among the block's subjects.
//  FaceIdentification/FR_Train{_dev,1..10}.txt, {C2P,P2C}/FR_{Gallery,Probe}_{C2P,P2C}{_dev,1..10}.txt
//    one header line, then "Name<TAB>C00012" (the last field is the file stem).
#include "data/protocol_types.h"

namespace carilab::data {

enum class WebcariVerification { Restricted, Unrestricted };
enum class WebcariDirection { C2P, P2C };  // C2P: caricature probes, photo gallery

// view 1: DevTest pairs, accuracy threshold tuned on DevTrain. view 2: ten folds.
PairProtocol readWebcariVerification(const DatasetIndex& index, WebcariVerification kind, int view);
IdentificationProtocol readWebcariIdentification(const DatasetIndex& index, WebcariDirection dir, int view);

// The subjects of FR_Train_dev.txt (view 1) or FR_Train<fold>.txt.
std::vector<std::string> readWebcariTrainSubjects(const DatasetIndex& index, const std::string& fold, std::vector<ProtocolIssue>* issues);

// The protocol folder of a WebCaricature index; throws when the dataset has none.
std::string webcariProtocolRoot(const DatasetIndex& index);

}  // namespace carilab::data
