// The package's only module with a side effect: importing it registers every layer class that a
// netblocks model can contain, so that saved models load by className.
import '@netblocks/core/register';
import '@netblocks/channel-shuffle/register';
import '@netblocks/depthwise-sep/register';
import '@netblocks/group-conv/register';
import '@netblocks/inverted-residual/register';
import '@netblocks/mlp-mixer/register';
import '@netblocks/repvgg-reparam/register';
import '@netblocks/se-block/register';
