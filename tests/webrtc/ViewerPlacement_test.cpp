// Where WebRTC viewers live: a stream's first viewers on its own worker, a popular stream's
// further viewers spread over the least loaded workers, a viewer of a transcoded track kept
// home, and the counts following viewers that leave.
#include "webrtc/ViewerPlacement.h"

#include <gtest/gtest.h>

using sluice::webrtc::ViewerPlacement;

TEST(ViewerPlacement, AStreamsFirstViewersStayOnItsWorker) {
  ViewerPlacement p(4, 3);
  int a = 0, b = 0;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(p.place(&a, 2, true), 2u);
  EXPECT_EQ(p.place(&b, 1, true), 1u);  // another stream's first viewer: home too
  EXPECT_EQ(p.viewers(&a, 2), 3u);
  EXPECT_EQ(p.viewersOn(2), 3u);
}

TEST(ViewerPlacement, APopularStreamsViewersSpreadOverEveryWorker) {
  ViewerPlacement p(2, 3);
  int s = 0;
  size_t on[2] = {0, 0};
  for (int i = 0; i < 200; ++i) ++on[p.place(&s, 0, true)];
  EXPECT_EQ(on[0], 100u);
  EXPECT_EQ(on[1], 100u);
}

TEST(ViewerPlacement, SpreadingGoesToTheLeastLoadedWorker) {
  ViewerPlacement p(3, 2);
  int busy = 0, popular = 0;
  for (int i = 0; i < 5; ++i) p.place(&busy, 1, false);  // worker 1 holds 5 viewers of another stream
  p.place(&popular, 0, true);
  p.place(&popular, 0, true);
  EXPECT_EQ(p.place(&popular, 0, true), 2u);  // worker 2 has none
  EXPECT_EQ(p.place(&popular, 0, true), 2u);  // 1 there, 2 at home, 5 on worker 1
  EXPECT_EQ(p.place(&popular, 0, true), 0u);  // a tie goes home
}

TEST(ViewerPlacement, AViewerThatMayNotMoveStaysHome) {
  ViewerPlacement p(2, 1);
  int s = 0;
  p.place(&s, 0, true);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(p.place(&s, 0, false), 0u);
}

TEST(ViewerPlacement, LeavingViewersAreCountedOut) {
  ViewerPlacement p(2, 1);
  int s = 0;
  EXPECT_EQ(p.place(&s, 0, true), 0u);
  EXPECT_EQ(p.place(&s, 0, true), 1u);
  EXPECT_EQ(p.place(&s, 0, true), 0u);
  EXPECT_EQ(p.release(&s, 1), 0u);  // the last viewer on worker 1: its mirror may go
  EXPECT_EQ(p.release(&s, 0), 1u);
  EXPECT_EQ(p.release(&s, 1), 0u);  // released twice: ignored
  EXPECT_EQ(p.viewersOn(1), 0u);
  EXPECT_EQ(p.release(&s, 0), 0u);
  EXPECT_EQ(p.viewers(&s, 0), 0u);
  EXPECT_EQ(p.release(&s, 0), 0u);  // unknown stream now
}
